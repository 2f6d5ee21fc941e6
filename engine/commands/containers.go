package commands

import "fmt"

// containerCommands are docker's commands that run or manage containers, top-level
// (docker run) and as the container group's name (docker container ...). Docker has
// them; layerlab builds images and shows their layers, and runs no container, so these
// are answered with that, not with "is not a docker command", which would be false.
var containerCommands = map[string]bool{
	"container": true, "run": true, "ps": true, "exec": true, "create": true, "start": true,
	"stop": true, "restart": true, "kill": true, "rm": true, "logs": true, "attach": true,
	"cp": true, "top": true, "stats": true, "wait": true, "pause": true, "unpause": true,
	"port": true, "rename": true, "diff": true, "commit": true, "export": true, "update": true,
}

// containerError is the answer to a container command: what the playground is, what
// the command needs, and for `rm` the image command a learner most likely meant.
func containerError(env *Env, name string) error {
	typed := env.prog() + " " + name
	msg := fmt.Sprintf("[layerlab] containers are not part of the playground: layerlab builds images and shows their layers; `%s` needs a real Docker daemon", typed)
	if env.prog() != "docker" {
		msg = fmt.Sprintf("%s: '%s' is not a %s command.\n%s", env.prog(), name, env.prog(), msg)
	}
	if name == "rm" {
		msg += fmt.Sprintf(".\nTo remove an image: %s image rm IMAGE (or %s rmi IMAGE)", env.prog(), env.prog())
	}
	return usageErrorf("%s", msg)
}
