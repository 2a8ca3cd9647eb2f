package mirrorrun_test

import (
	"fmt"
	"testing"
	"time"

	"gatehouse/models"
	"gatehouse/models/conda"
	"gatehouse/models/conda/condatest"
	"gatehouse/models/modeltest"
)

// TestMirrorRunTimes mirrors 200 packages of 20 names from another
// Gatehouse and logs how long the full run, a run with nothing changed
// (one 304) and a run after one new version (one shard, one file) take.
func TestMirrorRunTimes(t *testing.T) {
	if testing.Short() {
		return
	}
	b := modeltest.Backends(t)[len(modeltest.Backends(t))-1]
	up, down := startUpstream(t, b), startDownstream(t, b)
	for i := range 200 {
		upload(t, up.admin, "up", condatest.Pkg{Name: fmt.Sprintf("pkg%02d", i%20), Version: fmt.Sprintf("1.%d", i/20), Subdir: "linux-64"}, conda.Conda, false)
	}
	m := down.mirror(t, nil, models.MirrorSpec{URL: up.URL, Subdirs: []string{"linux-64"}})
	start := time.Now()
	full := down.run(t, m)
	fullTook := time.Since(start)
	start = time.Now()
	same := down.run(t, m)
	sameTook := time.Since(start)
	upload(t, up.admin, "up", condatest.Pkg{Name: "pkg07", Version: "9.0", Subdir: "linux-64"}, conda.Conda, false)
	start = time.Now()
	one := down.run(t, m)
	oneTook := time.Since(start)
	if full.Added != 200 || same.NotModified != 1 || one.Added != 1 {
		t.Fatalf("runs %+v %+v %+v", full, same, one)
	}
	t.Logf("%s: full run of 200 packages %v (%d requests); nothing changed %v (%d requests, %d not modified); one new version %v (%d requests)",
		b, fullTook.Round(time.Millisecond), full.Requests, sameTook.Round(time.Millisecond), same.Requests, same.NotModified, oneTook.Round(time.Millisecond), one.Requests)
}
