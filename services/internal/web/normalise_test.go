package web

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// normalise returns HTML as one token a line, so that two renderings
// compare equal when they differ only in what a browser ignores:
// whitespace between and around text, attribute order, and how boolean
// attributes and entities are spelled.
func normalise(t *testing.T, s string) string {
	t.Helper()
	nodes, err := html.ParseFragment(strings.NewReader(s), &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body})
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	var lines []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			if text := strings.Join(strings.Fields(n.Data), " "); text != "" {
				lines = append(lines, text)
			}
		case html.ElementNode:
			as := make([]string, 0, len(n.Attr))
			for _, a := range n.Attr {
				v := a.Val
				if a.Key == "class" {
					v = strings.Join(strings.Fields(v), " ")
				}
				as = append(as, a.Key+"="+`"`+v+`"`)
			}
			slices.Sort(as)
			lines = append(lines, strings.TrimSpace("<"+n.Data+" "+strings.Join(as, " "))+">")
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
			lines = append(lines, "</"+n.Data+">")
		}
	}
	for _, n := range nodes {
		walk(n)
	}
	return strings.Join(lines, "\n")
}

// diff returns the first differing line of two normalised renderings
// with some context.
func diff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			from := max(0, i-3)
			return "line " + strconv.Itoa(i+1) + ":\n  got:  " + gl + "\n  want: " + wl + "\ncontext (want):\n" + strings.Join(w[from:min(len(w), i+3)], "\n")
		}
	}
	return ""
}
