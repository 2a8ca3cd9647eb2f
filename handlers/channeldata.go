package handlers

import (
	"encoding/json"
	"sync"

	"github.com/labstack/echo/v4"

	"gatehouse/models/conda"
)

// channeldataCache keeps channeldata.json per channel and subchannel while
// the channel's generation is unchanged.
type channeldataCache struct {
	mu      sync.Mutex
	entries map[[2]uint]channeldataEntry
}

type channeldataEntry struct {
	gen  int64
	body []byte
	etag string
}

const maxChanneldata = 256 // entries; past it, arbitrary ones are dropped

// channeldata serves <channel>[/<sub>]/channeldata.json.
func (h *Handlers) channeldata(c echo.Context, p place) error {
	k := [2]uint{p.Ch.ID, p.SubID()}
	cc := &h.Repodata.channeldata
	cc.mu.Lock()
	e, ok := cc.entries[k]
	cc.mu.Unlock()
	if !ok || e.gen < p.Ch.Generation {
		files, err := h.Store.PackageSummaries(c.Request().Context(), p.Ch.ID, p.SubID())
		if err != nil {
			return err
		}
		body, err := json.Marshal(conda.BuildChanneldata(files))
		if err != nil {
			return err
		}
		e = channeldataEntry{gen: p.Ch.Generation, body: body, etag: etagOf(body)}
		cc.mu.Lock()
		if cc.entries == nil {
			cc.entries = map[[2]uint]channeldataEntry{}
		}
		for old := range cc.entries {
			if len(cc.entries) < maxChanneldata {
				break
			}
			delete(cc.entries, old)
		}
		cc.entries[k] = e
		cc.mu.Unlock()
	}
	return serveBytes(c, "application/json", e.etag, e.body)
}
