package metrics

import (
	"sort"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// family describes one metric regprune writes.
type family struct {
	name string
	help string
	kind dto.MetricType
}

var families = []family{
	{nameRuns, "Runs of regprune, by command.", dto.MetricType_COUNTER},
	{nameFailures, "Runs that ended with a non-zero exit status, by command.", dto.MetricType_COUNTER},
	{nameSuccess, "1 if the last run succeeded (exit status 0), else 0.", dto.MetricType_GAUGE},
	{nameLastRun, "Unix time the last run ended.", dto.MetricType_GAUGE},
	{nameLastSuccess, "Unix time the last successful run ended (kept from earlier runs while runs fail).", dto.MetricType_GAUGE},
	{nameDuration, "How long the last run took, in seconds.", dto.MetricType_GAUGE},
	{nameDryRun, "1 if the last run was a dry run (removed counts what would have been removed).", dto.MetricType_GAUGE},
	{nameRemoved, "Objects the last run removed, by kind (tags, manifests, blobs, layer_links, uploads, repositories).", dto.MetricType_GAUGE},
	{nameFreed, "Bytes of blob data the last run removed.", dto.MetricType_GAUGE},
	{nameProblems, "Problems the last run found in the storage (commands that verify it).", dto.MetricType_GAUGE},
}

// sample is one value of a family for this run, with extra labels.
type sample struct {
	name   string
	labels [][2]string
	value  float64
}

// build returns every family: old's series of other commands, then this
// run's series, with the counters and last success carried over.
func build(old map[string]*dto.MetricFamily, r Run) []*dto.MetricFamily {
	out := make([]*dto.MetricFamily, 0, len(families))
	now := r.Start.Add(r.Duration)
	for _, f := range families {
		mf := &dto.MetricFamily{Name: ptr(f.name), Help: ptr(f.help), Type: f.kind.Enum()}
		mf.Metric = othersOf(old[f.name], f.kind, r.Command)
		for _, s := range samples(old, r, now) {
			if s.name == f.name {
				mf.Metric = append(mf.Metric, metric(f.kind, r.Command, s.labels, s.value))
			}
		}
		if len(mf.Metric) > 0 {
			sortMetrics(mf.Metric)
			out = append(out, mf)
		}
	}
	return out
}

func samples(old map[string]*dto.MetricFamily, r Run, end time.Time) []sample {
	ok, failed := 1.0, 0.0
	if r.Failed {
		ok, failed = 0, 1
	}
	s := []sample{
		{name: nameRuns, value: previous(old, nameRuns, r.Command) + 1},
		{name: nameFailures, value: previous(old, nameFailures, r.Command) + failed},
		{name: nameSuccess, value: ok},
		{name: nameLastRun, value: unix(end)},
		{name: nameDuration, value: r.Duration.Seconds()},
		{name: nameDryRun, value: bool01(r.DryRun)},
		{name: nameFreed, value: float64(r.FreedBytes)},
	}
	if !r.Failed {
		s = append(s, sample{name: nameLastSuccess, value: unix(end)})
	} else if v, found := lookup(old, nameLastSuccess, r.Command); found {
		s = append(s, sample{name: nameLastSuccess, value: v})
	}
	for _, k := range removedKinds(r.Removed) {
		s = append(s, sample{name: nameRemoved, labels: [][2]string{{"kind", k.kind}}, value: float64(k.n)})
	}
	if r.Checked {
		s = append(s, sample{name: nameProblems, value: float64(r.Problems)})
	}
	return s
}

type kindCount struct {
	kind string
	n    int
}

func removedKinds(r Removed) []kindCount {
	return []kindCount{
		{"tags", r.Tags}, {"manifests", r.Manifests}, {"blobs", r.Blobs},
		{"layer_links", r.LayerLinks}, {"uploads", r.Uploads}, {"repositories", r.Repositories},
	}
}

// othersOf keeps mf's series that belong to other commands, as kind.
func othersOf(mf *dto.MetricFamily, kind dto.MetricType, command string) []*dto.Metric {
	if mf == nil {
		return nil
	}
	var keep []*dto.Metric
	for _, m := range mf.Metric {
		if c, ok := label(m, "command"); ok && c != command {
			v := value(m)
			keep = append(keep, &dto.Metric{Label: m.Label, Counter: counter(kind, v), Gauge: gauge(kind, v)})
		}
	}
	return keep
}

func counter(kind dto.MetricType, v float64) *dto.Counter {
	if kind != dto.MetricType_COUNTER {
		return nil
	}
	return &dto.Counter{Value: &v}
}

func gauge(kind dto.MetricType, v float64) *dto.Gauge {
	if kind == dto.MetricType_COUNTER {
		return nil
	}
	return &dto.Gauge{Value: &v}
}

// unix is t in seconds since the epoch, to the millisecond.
func unix(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// lookup finds command's value of the unlabelled-by-kind family name.
func lookup(old map[string]*dto.MetricFamily, name, command string) (float64, bool) {
	mf := old[name]
	if mf == nil {
		return 0, false
	}
	for _, m := range mf.Metric {
		if c, ok := label(m, "command"); ok && c == command {
			return value(m), true
		}
	}
	return 0, false
}

func previous(old map[string]*dto.MetricFamily, name, command string) float64 {
	v, _ := lookup(old, name, command)
	return v
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	}
	return 0
}

func label(m *dto.Metric, name string) (string, bool) {
	for _, lp := range m.Label {
		if lp.GetName() == name {
			return lp.GetValue(), true
		}
	}
	return "", false
}

func metric(kind dto.MetricType, command string, extra [][2]string, v float64) *dto.Metric {
	m := &dto.Metric{Label: []*dto.LabelPair{{Name: ptr("command"), Value: ptr(command)}}}
	for _, l := range extra {
		m.Label = append(m.Label, &dto.LabelPair{Name: ptr(l[0]), Value: ptr(l[1])})
	}
	m.Counter, m.Gauge = counter(kind, v), gauge(kind, v)
	return m
}

// sortMetrics orders series by their labels so the file is stable.
func sortMetrics(ms []*dto.Metric) {
	key := func(m *dto.Metric) string {
		k := ""
		for _, lp := range m.Label {
			k += lp.GetName() + "=" + lp.GetValue() + "\x00"
		}
		return k
	}
	sort.SliceStable(ms, func(i, j int) bool { return key(ms[i]) < key(ms[j]) })
}

func ptr(s string) *string { return &s }

func bool01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
