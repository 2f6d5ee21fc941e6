// Package e2e holds the browser tests: each test starts the real layerlab binary on a
// temporary data directory and drives it with headless Chromium (chromedp), as a student
// would, or with plain HTTP and websocket clients for the security checks. See README.md.
package e2e
