package commands

import (
	"fmt"
	"time"
)

// The docker CLI formats sizes and ages with github.com/docker/go-units. These are the
// same functions, written out so that the output cannot drift with a dependency bump.

// decimalUnits are go-units' decimal abbreviations.
var decimalUnits = []string{"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"}

// humanSizeWithPrecision is go-units' HumanSizeWithPrecision: decimal units and
// precision significant digits ("1.98MB" with 3, "1.982MB" with 4, "5B"). Like
// go-units, 999999 bytes with precision 3 gives "1e+03kB".
func humanSizeWithPrecision(size float64, precision int) string {
	i := 0
	for size >= 1000 && i < len(decimalUnits)-1 {
		size /= 1000
		i++
	}
	return fmt.Sprintf("%.*g%s", precision, size, decimalUnits[i])
}

// humanSize is go-units' HumanSize: four significant digits (`image ls`'s VirtualSize).
func humanSize(size float64) string { return humanSizeWithPrecision(size, 4) }

// imageSize is how `image ls` and `history` print a size: three significant digits.
func imageSize(n int64) string { return humanSizeWithPrecision(float64(n), 3) }

// humanDuration is go-units' HumanDuration ("Less than a second", "2 seconds",
// "About a minute", "25 minutes", "About an hour", "3 hours", "2 days", ...).
func humanDuration(d time.Duration) string {
	if seconds := int(d.Seconds()); seconds < 1 {
		return "Less than a second"
	} else if seconds == 1 {
		return "1 second"
	} else if seconds < 60 {
		return fmt.Sprintf("%d seconds", seconds)
	} else if minutes := int(d.Minutes()); minutes == 1 {
		return "About a minute"
	} else if minutes < 60 {
		return fmt.Sprintf("%d minutes", minutes)
	} else if hours := int(d.Hours() + 0.5); hours == 1 {
		return "About an hour"
	} else if hours < 48 {
		return fmt.Sprintf("%d hours", hours)
	} else if hours < 24*7*2 {
		return fmt.Sprintf("%d days", hours/24)
	} else if hours < 24*30*2 {
		return fmt.Sprintf("%d weeks", hours/24/7)
	} else if hours < 24*365*2 {
		return fmt.Sprintf("%d months", hours/24/30)
	}
	return fmt.Sprintf("%d years", int(d.Hours())/24/365)
}

// since is the CLI's "<duration> ago" for a time the daemon reported in whole seconds
// (the API's Created is a Unix timestamp, so 1.9s old prints "1 second ago").
func since(now, t time.Time) string {
	return humanDuration(now.UTC().Sub(time.Unix(t.Unix(), 0))) + " ago"
}
