package main

import (
	"bytes"
	"context"
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
	for _, env := range []string{"GATEHOUSE_ADDR", "GATEHOUSE_DATA_DIR", "DATABASE_URL", "GATEHOUSE_BASE_URL", "GATEHOUSE_SESSION_KEY", "GATEHOUSE_ADMIN_EMAIL", "GATEHOUSE_ADMIN_PASSWORD", "create-user", "create-token"} {
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
