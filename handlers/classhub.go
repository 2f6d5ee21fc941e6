package handlers

// classChanged tells the dashboards of the workspace's class that what they show of
// it changed (what: "build", "progress", "online", "usage", "files"). It never blocks
// and costs nothing for a workspace in no class.
// TODO(issue 13, dashboard helper): fan out to the class's dashboard websockets.
func (s *Server) classChanged(workspace, what string) {
	_, _ = workspace, what
}
