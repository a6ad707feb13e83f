package cli

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/regprune/regprune/retention"
)

// kept is every decision of the governed repositories that did not
// remove its tag (a tag chosen but left in place included), in order.
func (res *pruneResult) kept() []retention.Decision {
	gone := make(map[string]bool, len(res.removed))
	for _, d := range res.removed {
		gone[d.Tag.Ref()] = true
	}
	var out []retention.Decision
	for _, d := range res.decisions {
		if !gone[d.Tag.Ref()] {
			out = append(out, d)
		}
	}
	return out
}

// printKeptTable lists the kept tags with push time, rule and the reason
// they stay (the rule and its evidence).
func printKeptTable(w io.Writer, ds []retention.Decision, dryRun bool) error {
	if len(ds) == 0 {
		return nil
	}
	head := "tags kept:"
	if dryRun {
		head = "tags kept (dry run):"
	}
	fmt.Fprintln(w, head)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REPOSITORY\tTAG\tPUSHED\tRULE\tREASON")
	for _, d := range ds {
		pushed := "-"
		if !d.Tag.Pushed.IsZero() {
			pushed = d.Tag.Pushed.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", d.Tag.Repository, d.Tag.Name, pushed, dashIfEmpty(d.Rule), d.Reason)
	}
	return tw.Flush()
}
