package commands

import "layerlab/engine/build/buildtest"

var _ Store = (*buildtest.Store)(nil)
