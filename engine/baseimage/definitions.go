package baseimage

// definitions lists every served image. Builders run only on first lookup.
func definitions() []definition {
	defs := []definition{busyboxDefinition()}
	defs = append(defs, alpineDefinitions()...)
	defs = append(defs, debianDefinitions()...)
	defs = append(defs, buildpackDefinitions()...)
	defs = append(defs, pythonDefinitions()...)
	defs = append(defs, nodeDefinitions()...)
	defs = append(defs, golangDefinitions()...)
	defs = append(defs, nginxDefinitions()...)
	return defs
}
