package models_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"gatehouse/models"
	"gatehouse/models/modeltest"
)

func targetsOf(evs []models.AuditEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Action + " " + e.Target
	}
	return out
}

// A channel's history holds the events on it and its subchannels only: a
// channel whose name starts the same ("foo" and "foobar", "foo_" and
// "fooX", "foo" and "foo.x"), a token or team named like it, or events
// from before it was created never show.
func TestChannelHistoryIsExact(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		rec := func(action, target, actor string) {
			t.Helper()
			if err := s.Record(ctx, models.Audit{Action: action, Target: target, ActorEmail: actor}); err != nil {
				t.Fatal(err)
			}
		}
		// Before "foo" exists: an old channel of the same name.
		old, err := s.CreateChannel(ctx, models.NewChannel{Name: "foo"})
		if err != nil {
			t.Fatal(err)
		}
		rec("artifact.upload", "foo", "old@example.com")
		rec("channel.delete", "foo", "old@example.com")
		if _, _, err := s.DeleteChannel(ctx, old.ID); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)

		foo, err := s.CreateChannel(ctx, models.NewChannel{Name: "foo"})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []string{"foobar", "foo_", "foo.x", "fo", "foo-"} {
			if _, err := s.CreateChannel(ctx, models.NewChannel{Name: n}); err != nil {
				t.Fatal(err)
			}
		}
		dev, err := s.CreateSubchannel(ctx, foo, "dev")
		if err != nil {
			t.Fatal(err)
		}
		rec("channel.create", "foo", "a@example.com")
		rec("subchannel.create", "foo/dev", "a@example.com")
		rec("artifact.upload", "foo", "a@example.com")
		rec("artifact.overwrite", "foo/dev", "b@example.com")
		rec("channel.permissions", "foo", "b@example.com")
		rec("mirror.run", "foo/dev", "b@example.com")
		// Not foo's.
		rec("artifact.upload", "foobar", "a@example.com")
		rec("artifact.upload", "foo_", "a@example.com")
		rec("artifact.upload", "foo.x", "a@example.com")
		rec("artifact.upload", "foo-/dev", "a@example.com")
		rec("artifact.upload", "fooX/dev", "a@example.com")
		rec("artifact.upload", "fo", "a@example.com")
		rec("token.create", "foo", "a@example.com")
		rec("team.create", "foo/dev", "a@example.com")
		rec("signin.failure", "FOO/dev", "a@example.com")

		all, err := s.ChannelHistory(ctx, foo, nil, models.HistoryFilter{})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"mirror.run foo/dev", "channel.permissions foo", "artifact.overwrite foo/dev", "artifact.upload foo", "subchannel.create foo/dev", "channel.create foo"}
		if got := targetsOf(all); !slices.Equal(got, want) {
			t.Errorf("channel history\n got %q\nwant %q", got, want)
		}
		subs, err := s.ChannelHistory(ctx, foo, dev, models.HistoryFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := targetsOf(subs), []string{"mirror.run foo/dev", "artifact.overwrite foo/dev", "subchannel.create foo/dev"}; !slices.Equal(got, want) {
			t.Errorf("subchannel history\n got %q\nwant %q", got, want)
		}
		// foo_ is not a pattern: it sees its own event only.
		under, _ := s.ChannelByName(ctx, "foo_")
		if evs, _ := s.ChannelHistory(ctx, under, nil, models.HistoryFilter{}); len(evs) != 1 || evs[0].Target != "foo_" {
			t.Errorf("foo_ history: %q", targetsOf(evs))
		}
	})
}

// Filters by action (or family), actor and time, and pages.
func TestChannelHistoryFiltersAndPages(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		ch, err := s.CreateChannel(ctx, models.NewChannel{Name: "main"})
		if err != nil {
			t.Fatal(err)
		}
		base := time.Now().UTC().Add(time.Hour).Truncate(time.Second)
		for i := range 25 {
			s.Now = func() time.Time { return base.Add(time.Duration(i) * time.Minute) }
			action := "artifact.upload"
			if i%5 == 0 {
				action = "artifact.delete"
			}
			actor := fmt.Sprintf("user%d@example.com", i%2)
			if err := s.Record(ctx, models.Audit{Action: action, Target: "main", ActorEmail: actor}); err != nil {
				t.Fatal(err)
			}
		}
		count := func(f models.HistoryFilter) int {
			t.Helper()
			evs, err := s.ChannelHistory(ctx, ch, nil, f)
			if err != nil {
				t.Fatal(err)
			}
			return len(evs)
		}
		for _, tc := range []struct {
			f    models.HistoryFilter
			want int
		}{
			{models.HistoryFilter{}, 25},
			{models.HistoryFilter{Action: "artifact"}, 25},
			{models.HistoryFilter{Action: "artifact.delete"}, 5},
			{models.HistoryFilter{Action: "artifact.del"}, 0},
			{models.HistoryFilter{Action: "%"}, 0},
			{models.HistoryFilter{Actor: "user1"}, 12},
			{models.HistoryFilter{Actor: "USER0@"}, 13},
			{models.HistoryFilter{Since: base.Add(20 * time.Minute)}, 5},
			{models.HistoryFilter{Until: base.Add(20 * time.Minute)}, 20},
			{models.HistoryFilter{Since: base.Add(5 * time.Minute), Until: base.Add(10 * time.Minute)}, 5},
			{models.HistoryFilter{Since: base.Add(-48 * time.Hour)}, 25}, // before creation: creation wins
			{models.HistoryFilter{Limit: 10}, 10},
			{models.HistoryFilter{Limit: 10, Offset: 20}, 5},
		} {
			if got := count(tc.f); got != tc.want {
				t.Errorf("%+v: %d events, want %d", tc.f, got, tc.want)
			}
		}
		// Pages follow each other newest first, without gaps or repeats.
		var seen []uint
		for off := 0; ; off += 7 {
			evs, err := s.ChannelHistory(ctx, ch, nil, models.HistoryFilter{Limit: 7, Offset: off})
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) == 0 {
				break
			}
			for _, e := range evs {
				seen = append(seen, e.ID)
			}
		}
		if len(seen) != 25 || !slices.IsSortedFunc(seen, func(a, b uint) int { return int(b) - int(a) }) {
			t.Errorf("paging saw %v", seen)
		}
	})
}
