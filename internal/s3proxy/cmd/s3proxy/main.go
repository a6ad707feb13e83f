// Command s3proxy runs package s3proxy's delaying, counting proxy in front
// of an S3 server, or formats the records of scripts/bench-s3.sh's latency
// mode as a markdown table.
//
//	s3proxy -listen 127.0.0.1:9100 -target http://127.0.0.1:9000 [-delay 20ms] [-stats FILE]
//	s3proxy -report FILE [-delay 20ms]
//
// The proxy serves until SIGTERM or SIGINT, then writes the counts since
// the last reset to -stats FILE (when given). Counts are read and reset at
// http://LISTEN/__stats and /__stats?reset=1; /__delay?d=DUR changes the
// delay.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/regprune/regprune/internal/s3proxy"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to serve on")
	target := flag.String("target", "", "the S3 server's URL, e.g. http://127.0.0.1:9000")
	delay := flag.Duration("delay", 20*time.Millisecond, "delay added to every request (with -report: the delay estimates are made for)")
	stats := flag.String("stats", "", "write the counts since the last reset to `FILE` on SIGTERM or SIGINT")
	report := flag.String("report", "", "print the records in `FILE` (JSON lines) as a markdown table and exit")
	flag.Parse()
	var err error
	switch {
	case flag.NArg() > 0:
		err = fmt.Errorf("unexpected arguments %q", flag.Args())
	case *report != "":
		err = printReport(*report, *delay)
	case *target == "":
		err = errors.New("-target or -report is required")
	default:
		err = serve(*listen, *target, *delay, *stats)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "s3proxy:", err)
		os.Exit(2)
	}
}

func printReport(file string, delay time.Duration) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	recs, err := s3proxy.ReadRecords(f)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return s3proxy.WriteReport(os.Stdout, recs, delay)
}

func serve(listen, target string, delay time.Duration, stats string) error {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("-target %q: not an http(s) URL with a host", target)
	}
	l, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	p := s3proxy.New(u, delay)
	srv := &http.Server{Handler: p, ReadHeaderTimeout: time.Minute}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	fmt.Printf("s3proxy: %s -> %s, %s a request\n", l.Addr(), u.Host, delay)
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	if stats == "" {
		return nil
	}
	b, err := json.MarshalIndent(p.Stats(false), "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(stats, append(b, '\n'), 0o644)
}
