module example.com/notes

go 1.22

require (
	github.com/go-chi/chi/v5 v5.0.12
	github.com/mattn/go-sqlite3 v1.14.22
)
