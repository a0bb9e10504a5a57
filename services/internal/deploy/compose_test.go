package deploy_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// root is the repository root, three levels up from this package.
var root = filepath.Join("..", "..", "..")

func load(t *testing.T, files ...string) *types.Project {
	t.Helper()
	var paths []string
	for _, f := range files {
		paths = append(paths, filepath.Join(root, f))
	}
	opts, err := cli.NewProjectOptions(paths, cli.WithWorkingDirectory(root), cli.WithOsEnv, cli.WithName("together"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("loading %v: %v", files, err)
	}
	return p
}

var togetherServices = []string{"recorder", "projects", "stakeholders", "engagements", "feedback", "actions", "reports"}

func TestComposeStack(t *testing.T) {
	p := load(t, "docker-compose.yml")
	want := append([]string{"nats", "kurrentdb", "gateway", "prometheus", "grafana"}, togetherServices...)
	for _, name := range want {
		if _, err := p.GetService(name); err != nil {
			t.Errorf("service %s: %v", name, err)
		}
	}
	for name, svc := range p.Services {
		if svc.HealthCheck == nil || len(svc.HealthCheck.Test) == 0 {
			t.Errorf("service %s has no health check", name)
		}
		for _, port := range svc.Ports {
			if port.HostIP != "127.0.0.1" {
				t.Errorf("service %s publishes port %d on %q; publish on 127.0.0.1 only", name, port.Target, port.HostIP)
			}
		}
		if svc.Build != nil {
			dockerfile := filepath.Join(svc.Build.Context, svc.Build.Dockerfile)
			if _, err := os.Stat(dockerfile); err != nil {
				t.Errorf("service %s builds from %s, which does not exist", name, dockerfile)
			}
		}
		for _, v := range svc.Volumes {
			if v.Type == types.VolumeTypeBind {
				if _, err := os.Stat(v.Source); err != nil {
					t.Errorf("service %s mounts %s, which does not exist", name, v.Source)
				}
			}
		}
	}
	// Every together service is the one image, the service chosen by command.
	for _, name := range togetherServices {
		svc, _ := p.GetService(name)
		if svc.Image != "together:dev" || svc.Build == nil {
			t.Errorf("service %s: image %q, build %v; want the together image built here", name, svc.Image, svc.Build)
		}
		if svc.DependsOn["nats"].Condition != types.ServiceConditionHealthy {
			t.Errorf("service %s does not wait for a healthy NATS", name)
		}
		if !strings.Contains(strings.Join(svc.HealthCheck.Test, " "), "together healthcheck") {
			t.Errorf("service %s health check %v does not ask the service", name, svc.HealthCheck.Test)
		}
	}
	rec, _ := p.GetService("recorder")
	if !slices.Contains(rec.Command, "kurrentdb") || rec.Environment["TOGETHER_KURRENTDB_URL"] == nil || rec.DependsOn["kurrentdb"].Condition != types.ServiceConditionHealthy {
		t.Errorf("recorder: %v %v; want it on KurrentDB, started once KurrentDB is healthy", rec.Command, rec.Environment)
	}

	// Prometheus scrapes every together service on the port it serves.
	prom := read(t, "deploy/prometheus/prometheus.yml")
	for _, name := range togetherServices {
		svc, _ := p.GetService(name)
		port := "8080"
		if i := slices.Index(svc.Command, "--http"); i >= 0 {
			port = svc.Command[i+1][strings.LastIndex(svc.Command[i+1], ":")+1:]
		}
		if !strings.Contains(prom, `"`+name+":"+port+`"`) {
			t.Errorf("prometheus does not scrape %s:%s", name, port)
		}
	}
	// The gateway routes each command service's paths to it.
	nginx := read(t, "deploy/nginx/nginx.conf")
	for _, name := range togetherServices[1:6] {
		if !strings.Contains(nginx, "location /api/v1/"+name) {
			t.Errorf("the gateway does not route /api/v1/%s", name)
		}
	}
	if !strings.Contains(read(t, "deploy/nats/nats.conf"), "sync_interval: always") {
		t.Error("NATS is not configured to fsync before acknowledging")
	}
}

// The dashboard shows ingest rate, append latency, projection lag and
// errors by endpoint, from metrics the services export.
func TestGrafanaDashboard(t *testing.T) {
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal([]byte(read(t, "deploy/grafana/dashboards/together.json")), &dash); err != nil {
		t.Fatal(err)
	}
	exported := []string{
		"together_store_events_appended_total", "together_store_append_duration_seconds_bucket", "together_store_appends_total",
		"together_projection_lag_seconds", "together_projection_lag_events", "together_http_requests_total",
		"together_commands_total", "together_command_loaded_events_total", "together_nats_reconnects_total",
		"together_reports_heavy_waiting", "together_reports_heavy_wait_seconds_bucket", "together_reports_memo_total",
	}
	metric := regexp.MustCompile(`together_[a-z_]+`)
	titles := ""
	for _, p := range dash.Panels {
		titles += p.Title + "\n"
		for _, tg := range p.Targets {
			for _, m := range metric.FindAllString(tg.Expr, -1) {
				if !slices.Contains(exported, m) {
					t.Errorf("panel %q queries %s, which no service exports", p.Title, m)
				}
			}
		}
	}
	for _, want := range []string{"Ingest rate", "Append latency", "Projection lag", "Errors by endpoint"} {
		if !strings.Contains(titles, want) {
			t.Errorf("dashboard has no %q panel", want)
		}
	}
}

func TestComposeNATSCluster(t *testing.T) {
	p := load(t, "docker-compose.yml", "deploy/nats-cluster.override.yml")
	for _, n := range []string{"nats-1", "nats-2", "nats-3"} {
		svc, err := p.GetService(n)
		if err != nil {
			t.Fatalf("cluster override: %v", err)
		}
		if svc.HealthCheck == nil {
			t.Errorf("%s has no health check", n)
		}
	}
	if _, err := p.GetService("nats"); err == nil {
		t.Error("the single NATS node still runs beside the cluster")
	}
	for _, name := range togetherServices {
		svc, _ := p.GetService(name)
		urls := svc.Environment["TOGETHER_NATS_URL"]
		if urls == nil || strings.Count(*urls, "nats://") != 3 || svc.Environment["TOGETHER_JETSTREAM_REPLICAS"] == nil || *svc.Environment["TOGETHER_JETSTREAM_REPLICAS"] != "3" {
			t.Errorf("service %s in the cluster: NATS %v; want all three nodes and replicas 3", name, urls)
		}
		if _, ok := svc.DependsOn["nats"]; ok {
			t.Errorf("service %s still waits for the single NATS node", name)
		}
	}
	// Each node routes to all three (cluster.conf takes the routes, which
	// carry the cluster password, from the environment).
	for _, n := range []string{"nats-1", "nats-2", "nats-3"} {
		svc, _ := p.GetService(n)
		for i, peer := range []string{"nats-1", "nats-2", "nats-3"} {
			route := svc.Environment["TOGETHER_NATS_ROUTE_"+strconv.Itoa(i+1)]
			if route == nil || !strings.HasPrefix(*route, "nats-route://") || !strings.HasSuffix(*route, "@"+peer+":6222") {
				t.Errorf("%s does not route to %s", n, peer)
			}
		}
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
