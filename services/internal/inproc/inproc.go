// Package inproc answers an HTTP request with a handler of this process,
// as the web pages and the spreadsheet import run the API's own handlers:
// one code path with the API, and the caller's identity, in the request's
// context, is the one that acts.
package inproc

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
)

// Do serves req with h and returns the answer, its body read in full.
func Do(h http.Handler, req *http.Request) *http.Response {
	w := &writer{header: http.Header{}}
	h.ServeHTTP(w, req)
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return &http.Response{
		Status:        strconv.Itoa(w.status) + " " + http.StatusText(w.status),
		StatusCode:    w.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        w.header,
		Body:          io.NopCloser(bytes.NewReader(w.body.Bytes())),
		ContentLength: int64(w.body.Len()),
		Request:       req,
	}
}

// writer keeps what a handler answers.
type writer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *writer) Header() http.Header { return w.header }

func (w *writer) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *writer) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}
