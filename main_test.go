package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"gatehouse/models/modeltest"
)

// The first start creates the admin, prints its password once, serves, and
// shuts down cleanly when asked.
func TestRunFirstStartAndGracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	t.Setenv("GATEHOUSE_ADMIN_PASSWORD", "")
	ctx, cancel := context.WithCancel(t.Context())
	var out, errOut bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"--addr", addr, "--data-dir", dir}, &out, &errOut) }()
	var res *http.Response
	for i := 0; i < 100; i++ {
		if res, err = http.Get("http://" + addr + "/readyz"); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("server did not become ready: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if !strings.Contains(out.String(), "Created admin account admin@localhost with password: ") {
		t.Fatalf("admin password not printed: %q", out.String())
	}
	if strings.Contains(errOut.String(), "password") {
		t.Fatal("the password reached the log")
	}
	// A second start does not create or print anything again.
	out.Reset()
	ctx2, cancel2 := context.WithCancel(t.Context())
	go func() { done <- run(ctx2, []string{"--addr", addr, "--data-dir", dir}, &out, &errOut) }()
	time.Sleep(300 * time.Millisecond)
	cancel2()
	<-done
	if strings.Contains(out.String(), "password") {
		t.Fatal("password printed on a second start")
	}
}

func TestHelpListsSettings(t *testing.T) {
	var out bytes.Buffer
	_ = run(t.Context(), []string{"--help"}, &out, &out)
	for _, env := range []string{"GATEHOUSE_ADDR", "GATEHOUSE_DATA_DIR", "DATABASE_URL", "GATEHOUSE_BASE_URL", "GATEHOUSE_SESSION_KEY", "GATEHOUSE_ADMIN_EMAIL", "GATEHOUSE_ADMIN_PASSWORD", "GATEHOUSE_METRICS_ADDR", "create-user", "create-token"} {
		if !strings.Contains(out.String(), env) {
			t.Errorf("--help does not mention %s", env)
		}
	}
}

func TestAdminCreateUser(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			store := modeltest.Open(t, b)
			var out, errOut bytes.Buffer
			err := runAdmin(t.Context(), store, []string{"create-user", "--email", "ops@example.com", "--password", "ops-password", "--role", "Admin", "--role", "Member"}, &out, &errOut)
			if err != nil {
				t.Fatal(err)
			}
			u, err := store.UserByEmail(t.Context(), "ops@example.com")
			if err != nil || !u.IsAdmin() {
				t.Fatalf("user: %v %+v", err, u)
			}
			if strings.Contains(out.String(), "ops-password") {
				t.Fatal("password echoed")
			}
			if err := runAdmin(t.Context(), store, []string{"create-user", "--email", "ops@example.com", "--password", "ops-password"}, &out, &errOut); err == nil {
				t.Fatal("duplicate accepted")
			}
			if err := runAdmin(t.Context(), store, []string{"create-user", "--email", "x@example.com", "--password", "short"}, &out, &errOut); err == nil {
				t.Fatal("short password accepted")
			}
			if err := runAdmin(t.Context(), store, []string{"nope"}, &out, &errOut); err == nil {
				t.Fatal("unknown command accepted")
			}
		})
	}
}

// GATEHOUSE_METRICS_ADDR serves the metrics of the main address on their
// own listener, without sign-in; the main address then has none.
func TestRunServesMetricsOnTheirOwnAddress(t *testing.T) {
	free := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().String()
	}
	addr, metricsAddr := free(), free()
	t.Setenv("GATEHOUSE_METRICS_ADDR", metricsAddr)
	ctx, cancel := context.WithCancel(t.Context())
	var out, errOut bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"--addr", addr, "--data-dir", t.TempDir()}, &out, &errOut) }()
	var err error
	var res *http.Response
	for i := 0; i < 100; i++ {
		if res, err = http.Get("http://" + addr + "/readyz"); err == nil {
			res.Body.Close()
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("server did not become ready: %v", err)
	}
	res, err = http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `gatehouse_http_requests_total{method="GET",route="/readyz",status="200"} 1`) {
		t.Errorf("metrics address: %d\n%.2000s", res.StatusCode, body)
	}
	if res, err = http.Get("http://" + addr + "/metrics"); err != nil || res.StatusCode == http.StatusOK {
		t.Errorf("the main address serves /metrics too: %v %v", err, res.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}
