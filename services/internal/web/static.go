package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// The static files: nhsuk-frontend as vendored by static/vendor.sh, and
// together's own script and print styles.
//
//go:embed static/nhsuk static/together
var staticFS embed.FS

// staticPrefix is where the files are served; each URL carries a hash of
// every file, so a URL's content never changes and browsers may keep it
// for a year.
const staticPrefix = "/static/"

// assets serves the static files under a content-hashed path.
type assets struct {
	files   fs.FS
	version string
}

func newAssets() (*assets, error) {
	files, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	err = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		h.Write([]byte(p + "\x00"))
		h.Write(b)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &assets{files: files, version: hex.EncodeToString(h.Sum(nil))[:12]}, nil
}

// URL returns the path that serves the file name (such as
// nhsuk/nhsuk-frontend.min.css).
func (a *assets) URL(name string) string { return staticPrefix + a.version + "/" + name }

var contentTypes = map[string]string{
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".mjs":  "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".ico":  "image/x-icon",
	".json": "application/manifest+json",
	".txt":  "text/plain; charset=utf-8",
}

// ServeHTTP serves /static/{version}/{name}. Another version (a page
// from before a deployment) still gets today's file, but not for keeps.
func (a *assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, staticPrefix)
	version, name, ok := strings.Cut(rest, "/")
	name = path.Clean("/" + name)[1:]
	ct, known := contentTypes[path.Ext(name)]
	if !ok || name == "" || !known || name == "vendor.sh" {
		http.NotFound(w, r)
		return
	}
	b, err := fs.ReadFile(a.files, name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("X-Content-Type-Options", "nosniff")
	if version == a.version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(b)
}
