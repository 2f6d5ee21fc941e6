package db

import "layerlab/engine/commands"

var _ commands.Store = (*Workspace)(nil)
