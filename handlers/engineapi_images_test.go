package handlers

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"layerlab/db"
)

// The keys of the daemon's answers, in its order, as Docker 20.10 wrote them
// (research/docker-engine-api/shapes: images_json.json, history.json,
// image_inspect.json); TestEngineShapeKeys checks these against the files when they
// are at hand.
var (
	summaryKeys = []string{"Containers", "Created", "Id", "Labels", "ParentId", "RepoDigests", "RepoTags", "SharedSize", "Size", "VirtualSize"}
	historyKeys = []string{"Comment", "Created", "CreatedBy", "Id", "Size", "Tags"}
	inspectKeys = []string{"Id", "RepoTags", "RepoDigests", "Parent", "Comment", "Created", "Container", "ContainerConfig", "DockerVersion",
		"Author", "Config", "Architecture", "Os", "Size", "VirtualSize", "GraphDriver", "RootFS", "Metadata"}
)

// shapesDir is where the research put the daemon's recorded answers.
const shapesDir = "/work/shared/research/docker-engine-api/shapes"

// orderedKeys is the keys of a JSON object, in their order.
func orderedKeys(t *testing.T, raw []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %.200s", raw)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// elements splits a JSON array into its elements, raw.
func elements(t *testing.T, body string) []json.RawMessage {
	t.Helper()
	var out []json.RawMessage
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("not a JSON array: %.200s: %v", body, err)
	}
	return out
}

// TestEngineShapeKeys: the key lists above are the recorded daemon's.
func TestEngineShapeKeys(t *testing.T) {
	if _, err := os.Stat(shapesDir); err != nil {
		t.Skipf("no recorded shapes here (%v)", err)
	}
	for _, tc := range []struct {
		name, file string
		want       []string
	}{
		{"images", "images_json.json", summaryKeys},
		{"images -a", "images_json_all.json", summaryKeys},
		{"history", "history.json", historyKeys},
		{"inspect", "image_inspect.json", inspectKeys},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(shapesDir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if raw = bytes.TrimSpace(raw); raw[0] == '[' {
				raw = elements(t, string(raw))[0]
			}
			if got := orderedKeys(t, raw); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s has keys %v, the test expects %v", tc.file, got, tc.want)
			}
		})
	}
}

// engineImagesEnv is a workspace with lesson:v1 built twice (the first build now
// dangling) and the Engine API's base URL for it.
func engineImagesEnv(t *testing.T) (*testEnv, *db.Workspace, string) {
	t.Helper()
	env := newTestServer(t)
	ws := env.workspace()
	for _, text := range []string{"hello\n", "hello again\n"} {
		env.setContext(map[string]string{"Dockerfile": "FROM busybox\nENV GREETING=hello\nWORKDIR /app\nCOPY hello.txt .\nRUN cat hello.txt > copy.txt && echo built\n",
			"hello.txt": text})
		var res struct {
			ID string `json:"id"`
		}
		env.postJSON("/api/builds", map[string]any{"tags": []string{"lesson:v1"}}).wantCode(http.StatusAccepted).json(&res)
		if bj := env.waitBuild(res.ID); bj.State != string(db.BuildSucceeded) {
			t.Fatalf("build %+v", bj)
		}
	}
	return env, ws, env.engineBase(ws) + "/v1.41"
}

// summaries decodes GET /images/json and checks each element's keys.
func summaries(t *testing.T, r *testResponse) map[string][]string {
	t.Helper()
	if r.Code != http.StatusOK || r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("%d %s: %.300s", r.Code, r.Header.Get("Content-Type"), r.Body)
	}
	out := map[string][]string{}
	for _, e := range elements(t, r.Body) {
		if got := orderedKeys(t, e); !reflect.DeepEqual(got, summaryKeys) {
			t.Errorf("keys %v, want %v", got, summaryKeys)
		}
		var s struct {
			ID         string `json:"Id"`
			RepoTags   []string
			Containers int
		}
		json.Unmarshal(e, &s)
		if s.Containers != -1 {
			t.Errorf("Containers %d, want -1", s.Containers)
		}
		out[strings.Join(s.RepoTags, ",")] = append(out[strings.Join(s.RepoTags, ",")], s.ID)
	}
	return out
}

func TestEngineImageList(t *testing.T) {
	env, _, base := engineImagesEnv(t)
	plain := summaries(t, env.engineDo("GET", base+"/images/json", ""))
	if len(plain["lesson:v1"]) != 1 || len(plain["<none>:<none>"]) != 1 || len(plain["busybox:latest"]) != 1 || len(plain) != 3 {
		t.Errorf("images: %v", plain)
	}
	all := summaries(t, env.engineDo("GET", base+"/images/json?all=1", ""))
	if len(all["<none>:<none>"]) <= 1 {
		t.Errorf("images -a lists no intermediate images: %v", all)
	}
	tests := []struct {
		name, query string
		want        map[string]int // RepoTags -> how many
		code        int
		msg         string
	}{
		{name: "dangling", query: `filters={"dangling":{"true":true}}`, want: map[string]int{"<none>:<none>": 1}},
		{name: "reference", query: `filters={"reference":{"busybox":true}}`, want: map[string]int{"busybox:latest": 1}},
		{name: "legacy filter before 1.41", query: `filter=busybox`, want: map[string]int{"busybox:latest": 1}},
		{name: "bad filters", query: `filters=dangling`, code: 400, msg: "invalid JSON: "},
		{name: "unknown filter", query: `filters={"colour":{"red":true}}`, code: 400, msg: "Invalid filter 'colour'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, v, _ := strings.Cut(tc.query, "=")
			u := base + "/images/json?" + k + "=" + url.QueryEscape(v)
			if strings.HasPrefix(tc.query, "filter=") {
				u = strings.Replace(u, "/v1.41/", "/v1.40/", 1)
			}
			r := env.engineDo("GET", u, "")
			if tc.code != 0 {
				if r.Code != tc.code || !strings.HasPrefix(engineMessage(t, r), tc.msg) {
					t.Errorf("%d %q, want %d %q", r.Code, r.Body, tc.code, tc.msg)
				}
				return
			}
			got := map[string]int{}
			for k, ids := range summaries(t, r) {
				got[k] = len(ids)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("listed %v, want %v", got, tc.want)
			}
		})
	}
}

func TestEngineImageHistoryInspect(t *testing.T) {
	env, _, base := engineImagesEnv(t)
	r := env.engineDo("GET", base+"/images/lesson:v1/history", "")
	rows := elements(t, r.Body)
	if r.Code != http.StatusOK || len(rows) < 5 {
		t.Fatalf("history: %d %.300s", r.Code, r.Body)
	}
	if got := orderedKeys(t, rows[0]); !reflect.DeepEqual(got, historyKeys) {
		t.Errorf("history keys %v, want %v", got, historyKeys)
	}
	var top struct {
		ID        string `json:"Id"`
		CreatedBy string
		Tags      []string
	}
	json.Unmarshal(rows[0], &top)
	if top.CreatedBy != "/bin/sh -c cat hello.txt > copy.txt && echo built" || !reflect.DeepEqual(top.Tags, []string{"lesson:v1"}) {
		t.Errorf("history's top row %s", rows[0])
	}

	r = env.engineDo("GET", base+"/images/lesson:v1/json", "")
	if r.Code != http.StatusOK {
		t.Fatalf("inspect: %d %s", r.Code, r.Body)
	}
	if got := orderedKeys(t, []byte(r.Body)); !reflect.DeepEqual(got, inspectKeys) {
		t.Errorf("inspect keys %v, want %v", got, inspectKeys)
	}
	if !strings.Contains(r.Body, `"Id":"`+top.ID+`"`) {
		t.Errorf("inspect of lesson:v1 is not the history's top image %s", top.ID)
	}
	// As the daemon writes it: `docker inspect` shows the JSON as it came.
	if !strings.Contains(r.Body, `"cat hello.txt > copy.txt && echo built"`) {
		t.Errorf("inspect escapes its JSON: %.2000s", r.Body)
	}

	// Names with a registry, a user, a digest algorithm: the rest of the path is the
	// name, the last segment the action.
	if r := env.engineDo("POST", base+"/images/lesson:v1/tag?repo=127.0.0.1:5055/myuser/lesson&tag=v1", ""); r.Code != http.StatusCreated {
		t.Fatalf("tag: %d %s", r.Code, r.Body)
	}
	for _, name := range []string{"127.0.0.1:5055/myuser/lesson:v1", top.ID, strings.TrimPrefix(top.ID, "sha256:")[:12]} {
		for _, action := range []string{"json", "history"} {
			if r := env.engineDo("GET", base+"/images/"+name+"/"+action, ""); r.Code != http.StatusOK || !strings.Contains(r.Body, top.ID) {
				t.Errorf("GET /images/%s/%s: %d %.200s", name, action, r.Code, r.Body)
			}
		}
	}

	for _, tc := range []struct {
		name, path string
		code       int
		msg        string
	}{
		{"inspect missing", "/images/nosuch/json", 404, "no such image: nosuch: No such image: nosuch:latest"},
		{"inspect missing, tagged", "/images/nosuch:tag/json", 404, "no such image: nosuch:tag: No such image: nosuch:tag"},
		{"history missing", "/images/nosuch:v9/history", 404, "No such image: nosuch:v9"},
		{"inspect malformed", "/images/Demo/json", 400, "no such image: Demo: invalid reference format: repository name must be lowercase"},
		{"unknown action", "/images/lesson:v1/colour", 404, "page not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := env.engineDo("GET", base+tc.path, "")
			if r.Code != tc.code || !strings.HasPrefix(engineMessage(t, r), tc.msg) {
				t.Errorf("%d %q, want %d %q", r.Code, r.Body, tc.code, tc.msg)
			}
		})
	}
}

func TestEngineImageTag(t *testing.T) {
	env, ws, base := engineImagesEnv(t)
	for _, tc := range []struct {
		name, path string
		code       int
		body       string
		shows      string // the tag `docker images` shows afterwards
	}{
		{name: "20.10 CLI", path: "/images/lesson:v1/tag?repo=lesson&tag=v2", code: 201, shows: "lesson:v2"},
		{name: "28.x CLI's long name", path: "/images/lesson:v1/tag?repo=docker.io/library/lesson&tag=v3", code: 201, shows: "lesson:v3"},
		{name: "28.x CLI, user repo", path: "/images/lesson:v1/tag?repo=docker.io/myuser/lesson&tag=v1", code: 201, shows: "myuser/lesson:v1"},
		{name: "upper-case repo", path: "/images/lesson:v1/tag?repo=Lesson&tag=v2", code: 500,
			body: `{"message":"invalid reference format: repository name must be lowercase"}` + "\n"},
		{name: "missing source", path: "/images/nosuch:v1/tag?repo=lesson&tag=v2", code: 404, body: `{"message":"No such image: nosuch:v1"}` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := env.engineDo("POST", base+tc.path, "")
			if r.Code != tc.code || (tc.code == 201 && (r.Body != "" || r.Header.Get("Content-Length") != "0")) || (tc.body != "" && r.Body != tc.body) {
				t.Fatalf("%d %q (Content-Length %q), want %d %q", r.Code, r.Body, r.Header.Get("Content-Length"), tc.code, tc.body)
			}
			if tc.shows != "" {
				if _, err := ws.Lookup(t.Context(), tc.shows); err != nil {
					t.Errorf("%s: %v", tc.shows, err)
				}
				if list := env.engineDo("GET", base+"/images/json", "").Body; !strings.Contains(list, `"`+tc.shows+`"`) {
					t.Errorf("images does not show %s: %.400s", tc.shows, list)
				}
			}
		})
	}
	// push goes to the transfers' handler with the name, not to page-not-found.
	if r := env.engineDo("POST", base+"/images/127.0.0.1:5055/lesson/push?tag=v1", ""); strings.Contains(r.Body, "page not found") {
		t.Errorf("push: %d %s", r.Code, r.Body)
	}
}

func TestEngineImageDelete(t *testing.T) {
	env, ws, base := engineImagesEnv(t)
	rec, err := ws.Lookup(t.Context(), "lesson:v1")
	if err != nil {
		t.Fatal(err)
	}
	id, short := rec.ID.String(), rec.ID.Encoded()[:12]
	parentShort := rec.Parent.Encoded()[:12]
	for _, p := range []string{"/images/lesson:v1/tag?repo=lesson&tag=v2", "/images/lesson:v1/tag?repo=lesson&tag=q"} {
		env.engineDo("POST", base+p, "").wantCode(http.StatusCreated)
	}
	for _, tc := range []struct {
		name, path string
		code       int
		body       string
	}{
		{"untag", "/images/lesson:v2", 200, `[{"Untagged":"lesson:v2"}]` + "\n"},
		{"missing", "/images/nosuch:tag", 404, `{"message":"No such image: nosuch:tag"}` + "\n"},
		{"by ID with two tags", "/images/" + short, 409,
			`{"message":"conflict: unable to delete ` + short + ` (must be forced) - image is referenced in multiple repositories"}` + "\n"},
		{"a parent", "/images/" + parentShort + "?force=1", 409,
			`{"message":"conflict: unable to delete ` + parentShort + ` (cannot be forced) - image has dependent child images"}` + "\n"},
		{"malformed", "/images/Lesson", 400, `{"message":"invalid reference format: repository name must be lowercase"}` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := env.engineDo("DELETE", base+tc.path, "")
			if r.Code != tc.code || r.Body != tc.body {
				t.Errorf("%d %q, want %d %q", r.Code, r.Body, tc.code, tc.body)
			}
		})
	}
	t.Run("forced by ID", func(t *testing.T) {
		r := env.engineDo("DELETE", base+"/images/"+short+"?force=1", "")
		var items []map[string]string
		json.Unmarshal([]byte(r.Body), &items)
		if r.Code != 200 || len(items) < 4 || !reflect.DeepEqual(items[:3], []map[string]string{{"Untagged": "lesson:q"}, {"Untagged": "lesson:v1"}, {"Deleted": id}}) {
			t.Fatalf("%d %s", r.Code, r.Body)
		}
		if _, err := ws.Image(t.Context(), rec.ID); err == nil {
			t.Errorf("the image is still there")
		}
		if _, err := ws.Image(t.Context(), rec.Parent); err == nil {
			t.Errorf("its untagged parent is still there")
		}
	})
}

func TestEngineImagePrune(t *testing.T) {
	env, ws, base := engineImagesEnv(t)
	dangling := summaries(t, env.engineDo("GET", base+"/images/json?filters="+url.QueryEscape(`{"dangling":{"true":true}}`), ""))["<none>:<none>"]
	if len(dangling) != 1 {
		t.Fatalf("dangling images %v", dangling)
	}
	for _, tc := range []struct {
		name, query string
		code        int
		body        string
	}{
		{"bad filter", "?filters=" + url.QueryEscape(`{"colour":{"red":true}}`), 400, `{"message":"Invalid filter 'colour'"}` + "\n"},
		{"bad until", "?filters=" + url.QueryEscape(`{"until":{"someday":true}}`), 400, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := env.engineDo("POST", base+"/images/prune"+tc.query, "")
			if r.Code != tc.code || (tc.body != "" && r.Body != tc.body) {
				t.Errorf("%d %q, want %d %q", r.Code, r.Body, tc.code, tc.body)
			}
		})
	}
	r := env.engineDo("POST", base+"/images/prune?filters="+url.QueryEscape(`{"dangling":{"true":true}}`), "")
	if r.Code != http.StatusOK {
		t.Fatalf("prune: %d %s", r.Code, r.Body)
	}
	if got := orderedKeys(t, []byte(r.Body)); !reflect.DeepEqual(got, []string{"ImagesDeleted", "SpaceReclaimed"}) {
		t.Errorf("keys %v", got)
	}
	var rep struct {
		ImagesDeleted  []map[string]string
		SpaceReclaimed int64
	}
	json.Unmarshal([]byte(r.Body), &rep)
	if len(rep.ImagesDeleted) == 0 || rep.ImagesDeleted[0]["Deleted"] != dangling[0] {
		t.Errorf("prune: %s", r.Body)
	}
	// Docker's figure: the content of the two layers released, COPY's hello.txt and
	// RUN's copy.txt ("hello\n" each), not the bytes of their tars.
	if rep.SpaceReclaimed != 12 {
		t.Errorf("SpaceReclaimed %d, want 12: %s", rep.SpaceReclaimed, r.Body)
	}
	if _, err := ws.Lookup(t.Context(), "lesson:v1"); err != nil {
		t.Errorf("prune took the tagged image: %v", err)
	}
	// Nothing left to prune, and no filter at all (dangling only, as the daemon).
	if r := env.engineDo("POST", base+"/images/prune", ""); r.Code != 200 || r.Body != `{"ImagesDeleted":null,"SpaceReclaimed":0}`+"\n" {
		t.Errorf("second prune: %d %q", r.Code, r.Body)
	}
}

// TestEngineInspectNoSuchObject: `docker inspect nosuch` asks for a container, an
// image, a network, a volume and a plugin by that name, and says "No such object"
// only when each answers 404 (Docker's words for each, recorded from 20.10).
func TestEngineInspectNoSuchObject(t *testing.T) {
	env := newTestServer(t)
	base := env.engineBase(env.workspace()) + "/v1.41"
	for _, tc := range []struct{ path, msg string }{
		{"/containers/nosuch/json", "No such container: nosuch"},
		{"/images/nosuch/json", "no such image: nosuch: No such image: nosuch:latest"},
		{"/networks/nosuch", "network nosuch not found"},
		{"/volumes/nosuch", "get nosuch: no such volume"},
		{"/plugins/nosuch/json", `plugin "nosuch" not found`},
	} {
		t.Run(tc.path, func(t *testing.T) {
			r := env.engineDo("GET", base+tc.path, "")
			if r.Code != http.StatusNotFound || engineMessage(t, r) != tc.msg {
				t.Errorf("%d %q, want 404 %q", r.Code, r.Body, tc.msg)
			}
		})
	}
	// The lists stay refused, saying why.
	if r := env.engineDo("GET", base+"/networks", ""); r.Code != http.StatusNotImplemented {
		t.Errorf("GET /networks: %d %s", r.Code, r.Body)
	}
}
