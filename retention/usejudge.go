package retention

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/regprune/regprune/pulls"
	"github.com/regprune/regprune/storage"
)

// useEvidence is what the rules by use know of one candidate.
type useEvidence struct {
	last     pulls.LastPull // its last recorded pull (rules by pulls)
	pullRank int            // its rank among the pulled candidates, from 0; -1 never pulled
	semver   SemverVerdict  // keep_semver's verdict
	inUse    *ImageRef      // the first reference in use that keeps it
	unread   error          // what it reaches could not be read, or a list of images was not given
	window   pullWindow     // what the history covers of keep_pulled_within
}

// errNotRead stands for children Select needed but was not given.
var errNotRead = errors.New("not read")

// unreadList is a list of images in use a rule names that Select was not
// given.
type unreadList struct{ name string }

func (e *unreadList) Error() string { return "images in use " + e.name + ": not read" }

// gatherUse finds the evidence of use of each candidate (by index into
// tags; cands in order of push, newest first).
func gatherUse(tags []storage.Tag, cands []int, rule Rule, now time.Time, use Use) []useEvidence {
	ev := make([]useEvidence, len(tags))
	if len(cands) == 0 {
		return ev
	}
	repo := tags[cands[0]].Repository
	needKids := needsChildren(repo, rule, use)
	var window pullWindow
	if rule.KeepPulledWithin > 0 {
		window = windowOf(use.Pulls, rule.KeepPulledWithin, now, use.Slack)
	}
	for _, i := range cands {
		t := tags[i]
		e := &ev[i]
		e.pullRank, e.window = -1, window
		var kids []storage.Digest
		if needKids {
			c, ok := use.Children[t.Ref()]
			switch {
			case !ok:
				e.unread = errNotRead
			case c.Err != nil:
				e.unread = c.Err
			}
			kids = c.Digests
		}
		if rule.UsesPulls() && use.Pulls != nil {
			e.last = use.Pulls.LastPull(repo, pulls.Tag{Name: t.Name, Digest: t.Digest, Children: kids})
		}
		e.inUse, e.unread = refInUse(rule, use, t, kids, e.unread)
	}
	rankPulls(tags, cands, ev)
	if rule.KeepSemver > 0 {
		names := make([]string, len(cands))
		for j, i := range cands {
			names[j] = tags[i].Name
		}
		for j, v := range KeepSemver(names, rule.KeepSemver) {
			ev[cands[j]].semver = v
		}
	}
	return ev
}

// refInUse is the first reference of the rule's lists that keeps t. A
// list the command did not give keeps every tag unjudged.
func refInUse(rule Rule, use Use, t storage.Tag, kids []storage.Digest, unread error) (*ImageRef, error) {
	for _, name := range rule.KeepRefs {
		set := use.Refs[name]
		if set == nil {
			return nil, &unreadList{name}
		}
		if ref, ok := set.Keeps(t.Repository, t.Name, t.Digest, kids); ok {
			return &ref, unread
		}
	}
	return nil, unread
}

// rankPulls ranks the pulled candidates, most recently pulled first (ties
// broken by name).
func rankPulls(tags []storage.Tag, cands []int, ev []useEvidence) {
	var pulled []int
	for _, i := range cands {
		if ev[i].last.Via != pulls.Never {
			pulled = append(pulled, i)
		}
	}
	slices.SortFunc(pulled, func(a, b int) int {
		if c := ev[b].last.Time.Compare(ev[a].last.Time); c != 0 {
			return c
		}
		return strings.Compare(tags[a].Name, tags[b].Name)
	})
	for rank, i := range pulled {
		ev[i].pullRank = rank
	}
}

// keptInUse is the first rule by use that keeps the candidate, in this
// order: in use, pulled within, among the most recently pulled, among the
// highest versions.
func keptInUse(rule Rule, now time.Time, ev useEvidence) (string, bool) {
	switch {
	case ev.inUse != nil:
		return ev.inUse.Reason(), true
	case rule.KeepPulledWithin > 0 && ev.last.Via != pulls.Never && now.Sub(ev.last.Time) <= rule.KeepPulledWithin:
		return fmt.Sprintf("%s, within %s", pulledAgo(now, ev.last), FormatAge(rule.KeepPulledWithin)), true
	case rule.KeepLastPulled > 0 && ev.pullRank >= 0 && ev.pullRank < rule.KeepLastPulled:
		return fmt.Sprintf("%s (%s)", mostRecentlyPulled(rule.KeepLastPulled), pulledAgo(now, ev.last)), true
	case rule.KeepSemver > 0 && ev.semver.Keep:
		return ev.semver.Reason, true
	}
	return "", false
}

// keptUnjudged keeps a candidate the rules by use cannot judge: one
// pushed within keep_pulled_within (it has not been there that long, so
// not being pulled in that time says nothing), and one whose use by digest
// could not be seen (what its index reaches could not be read).
func keptUnjudged(t storage.Tag, rule Rule, now time.Time, ev useEvidence) (string, bool) {
	if rule.KeepPulledWithin > 0 && now.Sub(t.Pushed) <= rule.KeepPulledWithin {
		return fmt.Sprintf("%s, within %s: too new to judge by pulls", pushedAgo(now.Sub(t.Pushed)), FormatAge(rule.KeepPulledWithin)), true
	}
	if ev.unread != nil {
		var list *unreadList
		switch {
		case errors.As(ev.unread, &list):
			return fmt.Sprintf("images in use %s not read: use not judged", list.name), true
		case errors.Is(ev.unread, errNotRead):
			return "what its index reaches was not read: a use by digest cannot be judged", true
		}
		return fmt.Sprintf("what it reaches is unreadable (%v): a use by digest would go unseen", ev.unread), true
	}
	return "", false
}

// notInUse is the evidence of every rule by use against a removed tag.
func notInUse(rule Rule, now time.Time, ev useEvidence) []string {
	var why []string
	if len(rule.KeepRefs) > 0 {
		why = append(why, "not in use ("+strings.Join(rule.KeepRefs, ", ")+")")
	}
	if rule.KeepPulledWithin > 0 {
		why = append(why, notPulledWithin(rule.KeepPulledWithin, ev.window))
	}
	if rule.KeepLastPulled > 0 {
		why = append(why, "not "+mostRecentlyPulled(rule.KeepLastPulled))
	}
	if rule.UsesPulls() {
		if ev.last.Via == pulls.Never {
			why = append(why, "no pull recorded")
		} else {
			why = append(why, "last "+pulledAgo(now, ev.last))
		}
	}
	if rule.KeepSemver > 0 {
		why = append(why, ev.semver.Reason)
	}
	return why
}

// notPulledWithin says what the history proves: no pull in the whole
// window, or only since its coverage starts.
func notPulledWithin(span time.Duration, w pullWindow) string {
	switch {
	case w.complete:
		return "not pulled within " + FormatAge(span)
	case !w.since.IsZero():
		return "not pulled since " + stamp(w.since) + " (history starts there)"
	case !w.last.IsZero():
		return "not pulled within " + FormatAge(span) + " as far as recorded (the history ends " + stamp(w.last) + ")"
	}
	return "not pulled within " + FormatAge(span) + " as far as recorded (no history)"
}

// pulledAgo is "pulled 3d ago", with how when not by tag: "pulled 3d ago
// by digest sha256:0123456789ab".
func pulledAgo(now time.Time, l pulls.LastPull) string {
	s := "pulled "
	if age := now.Sub(l.Time); age < 0 {
		s += roundAge(-age) + " in the future"
	} else {
		s += roundAge(age) + " ago"
	}
	if l.Via != pulls.ByTag {
		s += " " + l.String()
	}
	return s
}

// mostRecentlyPulled names keep_last_pulled's set.
func mostRecentlyPulled(n int) string {
	if n == 1 {
		return "the most recently pulled"
	}
	return "among the " + strconv.Itoa(n) + " most recently pulled"
}
