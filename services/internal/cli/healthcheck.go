package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// runHealthcheck is the container health check: the images carry no curl,
// so the binary asks its own /readyz.
func runHealthcheck(ctx context.Context, args []string, _ Env, stdout, stderr io.Writer) int {
	if len(args) != 1 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stderr, "Usage: together healthcheck URL\n\nExits 0 if URL answers 200 within 3 seconds, 1 otherwise.\n\nExample:\n  together healthcheck http://127.0.0.1:8080/readyz\n")
		if len(args) == 1 {
			return 0
		}
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, args[0], nil)
	if err != nil {
		fmt.Fprintf(stderr, "together healthcheck: %v\n", err)
		return 2
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "together healthcheck: %v\n", err)
		return 1
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	fmt.Fprintf(stdout, "%d %s\n", res.StatusCode, body)
	if res.StatusCode != http.StatusOK {
		return 1
	}
	return 0
}
