package main

import (
	log "github.com/sirupsen/logrus"

	"github.com/acme/pinger/internal/ping"
)

var (
	version = "dev"
	commit  = "unknown"
)

func main() {
	log.WithFields(log.Fields{"version": version, "commit": commit}).Info("starting")
	ping.Run()
}
