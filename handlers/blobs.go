package handlers

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/models/blobs"
	"gatehouse/views/pages/admin"
	"gatehouse/web"
)

// SweepJSON is one sweep as the API shows it.
type SweepJSON struct {
	At           time.Time `json:"at"`
	By           string    `json:"by"`
	Blobs        int       `json:"blobs"`
	BlobBytes    int64     `json:"blob_bytes"`
	StagingFiles int       `json:"staging_files"`
	StagingBytes int64     `json:"staging_bytes"`
	Incomplete   bool      `json:"incomplete,omitempty"`
}

func sweepJSON(r models.SweepRun) SweepJSON {
	return SweepJSON{At: r.At, By: r.By, Blobs: r.Freed.Blobs, BlobBytes: r.Freed.BlobBytes,
		StagingFiles: r.Freed.StagingFiles, StagingBytes: r.Freed.StagingBytes, Incomplete: r.Incomplete}
}

// noteSweep records a sweep for the admins' page; failing to is logged.
func (h *Handlers) noteSweep(ctx context.Context, by string, freed blobs.Freed, err error) models.SweepRun {
	run := models.SweepRun{At: h.Store.Now().UTC(), By: by, Freed: freed, Incomplete: err != nil}
	if err := h.Store.NoteSweep(context.WithoutCancel(ctx), run); err != nil {
		h.Log.Warn("blobs: unable to note the sweep", "err", err)
	}
	return run
}

// sweepNow runs the unreferenced-blob sweep for the actor, one at a time
// per instance, and audits what it freed.
func (h *Handlers) sweepNow(c echo.Context) (models.SweepRun, error) {
	if !h.sweeping.TryLock() {
		return models.SweepRun{}, web.Fail(http.StatusConflict, "A cleanup is running already; its result shows here when it ends.")
	}
	defer h.sweeping.Unlock()
	// The sweep goes on if the client leaves: what it removed is gone.
	ctx := context.WithoutCancel(c.Request().Context())
	grace := h.Cfg.SweepGrace
	if grace == 0 {
		grace = time.Hour
	}
	freed, err := h.Store.Sweep(ctx, h.Blobs, grace)
	if err != nil && freed == (blobs.Freed{}) {
		return models.SweepRun{}, h.storageFault(c, err)
	}
	if err != nil {
		h.Log.Warn("blobs: sweep incomplete", "err", err)
	}
	run := h.noteSweep(ctx, web.ActorOf(c).Email(), freed, err)
	h.audit(c, "blobs.sweep", "blobs", map[string]any{"freed": freed, "incomplete": run.Incomplete, "grace": grace.String()})
	return run, nil
}

// APISweepBlobs runs the sweep and answers what it freed.
func (h *Handlers) APISweepBlobs(c echo.Context) error {
	run, err := h.sweepNow(c)
	if err != nil {
		return err
	}
	return ok(c, http.StatusOK, "sweep", sweepJSON(run))
}

// APILastSweep answers the latest sweep, or null when none was recorded.
func (h *Handlers) APILastSweep(c echo.Context) error {
	run, found, err := h.Store.LastSweep(c.Request().Context())
	if err != nil {
		return err
	}
	if !found {
		return ok(c, http.StatusOK, "sweep", nil)
	}
	return ok(c, http.StatusOK, "sweep", sweepJSON(run))
}

// SweepBlobs handles the Run cleanup button of the Settings page.
func (h *Handlers) SweepBlobs(c echo.Context) error {
	run, err := h.sweepNow(c)
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("Cleanup freed %d blobs (%s) and %d staging files (%s).", run.Freed.Blobs, models.HumanBytes(run.Freed.BlobBytes), run.Freed.StagingFiles, models.HumanBytes(run.Freed.StagingBytes))
	return h.done(c, "/admin/settings#blob-cleanup", msg)
}

// sweepSection is the Settings page's blob cleanup section.
func (h *Handlers) sweepSection(c echo.Context) (admin.SweepSection, error) {
	s := admin.SweepSection{CSRF: web.CSRFToken(c), Grace: h.Cfg.SweepGrace.String()}
	if h.Cfg.SweepGrace == 0 {
		s.Grace = time.Hour.String()
	}
	run, found, err := h.Store.LastSweep(c.Request().Context())
	if err != nil || !found {
		return s, err
	}
	s.Last = &admin.SweepRun{At: when(run.At, h.Store.Now(), "2006-01-02 15:04:05"), By: run.By,
		Blobs: run.Freed.Blobs, BlobBytes: models.HumanBytes(run.Freed.BlobBytes),
		StagingFiles: run.Freed.StagingFiles, StagingBytes: models.HumanBytes(run.Freed.StagingBytes), Incomplete: run.Incomplete}
	return s, nil
}
