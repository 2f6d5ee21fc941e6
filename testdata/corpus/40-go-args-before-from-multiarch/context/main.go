package main

import (
	"flag"
	"log"
	"time"
)

func main() {
	interval := flag.Duration("interval", 30*time.Second, "reconcile interval")
	flag.Parse()
	for range time.Tick(*interval) {
		log.Println("reconciling")
	}
}
