package stakeholders_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/catalogue"
	"github.com/together-coop/together/events/memstore"
	"github.com/together-coop/together/projections/historytest"
	"github.com/together-coop/together/projections/ledger"
	"github.com/together-coop/together/services/internal/command"
	"github.com/together-coop/together/services/internal/keyring"
	"github.com/together-coop/together/services/internal/natstest"
	"github.com/together-coop/together/services/internal/stakeholders"
)

// certificateServer serves the stakeholder commands and certificates over
// a memstore and a real keyring; attendance comes from l.
func certificateServer(t *testing.T, l **ledger.Ledger) *httptest.Server {
	t.Helper()
	ctx := context.Background()
	x, err := command.NewExecutor(memstore.New(), catalogue.New())
	if err != nil {
		t.Fatal(err)
	}
	_, js := natstest.JetStream(t)
	kek, err := keyring.GenerateKEK()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := keyring.New(ctx, js, kek)
	if err != nil {
		t.Fatal(err)
	}
	certs, err := stakeholders.NewCertificates(x, keys, stakeholders.LedgerAttendance(func(f func(*ledger.Ledger)) { f(*l) }),
		stakeholders.WithIssuer("South Tyneside co-production programme"),
		stakeholders.WithCertificateClock(func() time.Time { return time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC) }))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	stakeholders.New(x, keys).Routes(mux)
	certs.Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func post(t *testing.T, url, body string) string {
	t.Helper()
	res, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		ID string `json:"id"`
	}
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 || json.Unmarshal(b, &out) != nil {
		t.Fatalf("POST %s = %d %s", url, res.StatusCode, b)
	}
	return out.ID
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestCertificate(t *testing.T) {
	l := ledger.New()
	srv := certificateServer(t, &l)
	register := func(name string) string {
		return post(t, srv.URL+"/api/v1/stakeholders", `{"name":`+strings.Trim(mustJSON(name), "\n")+`,"contact":"ann@example.org","roles":["service_user"],"recruitment_channel":"advert"}`)
	}
	ann, ben, cat := register("Ann O'Neill <& Co>"), register("Ben"), register("Cat")
	b := historytest.NewBuilder(historytest.Day(1)).Project("p", "North", "Letters").
		Plan("w1", "p", events.LevelCoDesign, "workshop").Plan("w2", "p", events.LevelConsult, "focus_group").
		Plan("w3", "p", events.LevelConsult, "meeting")
	b.At(historytest.Day(10)).Hold("w2", 0, ann, ben)
	b.At(historytest.Day(5)).Hold("w1", 3, ann)
	b.At(historytest.Day(11)).Hold("w3", 0, ben)
	l = b.Ledger()

	t.Run("a person who came", func(t *testing.T) {
		res, body := get(t, srv.URL+"/api/v1/stakeholders/"+ann+"/certificate")
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/html; charset=utf-8" || res.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("certificate = %d %v\n%s", res.StatusCode, res.Header, body)
		}
		doc, err := html.Parse(strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var rows []string
		var name string
		var walk func(n *html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode && n.Data == "tr" {
				rows = append(rows, strings.Join(strings.Fields(text(n)), " "))
			}
			if n.Type == html.ElementNode && n.Data == "p" && attr(n, "class") == "name" {
				name = text(n)
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(doc)
		if name != "Ann O'Neill <& Co>" {
			t.Errorf("the certificate names %q", name)
		}
		want := []string{"Engagement Date How Project", "w1 5 March 2026 Workshop Letters", "w2 10 March 2026 Focus group Letters"}
		if strings.Join(rows, "|") != strings.Join(want, "|") {
			t.Errorf("rows %q, want %q (in the order held)", rows, want)
		}
		for _, want := range []string{`<th scope="col">`, `<th scope="row">`, "<caption>", "Issued on 1 April 2026 by South Tyneside co-production programme", "@media print"} {
			if !strings.Contains(body, want) {
				t.Errorf("the certificate lacks %q", want)
			}
		}
	})

	tests := []struct {
		name, id string
		status   int
		detail   string
	}{
		{"nobody", "01a21461-acfb-70a4-938a-6bcf565a55ff", http.StatusNotFound, "no stakeholder"},
		{"not an id", "ann", http.StatusNotFound, "ids are lowercase UUIDs"},
		{"came to nothing", cat, http.StatusNotFound, "nothing to certify"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := get(t, srv.URL+"/api/v1/stakeholders/"+tt.id+"/certificate")
			if res.StatusCode != tt.status || res.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(body, tt.detail) {
				t.Errorf("certificate = %d %s %s, want %d with %q", res.StatusCode, res.Header.Get("Content-Type"), body, tt.status, tt.detail)
			}
		})
	}

	t.Run("erased", func(t *testing.T) {
		post(t, srv.URL+"/api/v1/stakeholders/"+ben+"/erase", `{"reason":"asked to be forgotten"}`)
		res, body := get(t, srv.URL+"/api/v1/stakeholders/"+ben+"/certificate")
		if res.StatusCode != http.StatusGone || !strings.Contains(body, "was erased") || strings.Contains(body, "Ben") {
			t.Errorf("certificate of an erased person = %d %s", res.StatusCode, body)
		}
	})
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func text(n *html.Node) string {
	if n.Type == html.TextNode {
		return n.Data
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(text(c))
		b.WriteString(" ")
	}
	return strings.TrimSpace(b.String())
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}
