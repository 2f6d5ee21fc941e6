package sandbox

// Download is what the playground gets for a URL: it has no network, so every download
// (curl, wget, ADD https://...) is the same deterministic placeholder, a shell script of
// comments that names the URL. The same URL always gives the same bytes, so a step that
// downloads caches as it would against a server that serves the same file.
func Download(url string) []byte { return placeholder(url) }

// DownloadNote says a download was a placeholder (the caller adds its own prefix).
func DownloadNote(url string) string {
	return "the playground has no network; wrote a placeholder for " + url
}
