package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"hybridgen/internal/emulator"
	"hybridgen/internal/server"
)

// emulatorOptions are the flags of `hybridgen runpod-emulator`.
type emulatorOptions struct {
	addr        string
	endpoint    string
	apiKey      string
	coldStart   time.Duration
	execTime    time.Duration
	workers     int
	idleTimeout time.Duration
	logFormat   string
}

func parseEmulatorFlags(args []string, stderr io.Writer) (emulatorOptions, error) {
	var o emulatorOptions
	fs := flag.NewFlagSet("runpod-emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hybridgen runpod-emulator [flags]")
		fmt.Fprintln(stderr, "\nServes a RunPod serverless emulator (a test double with the worker-sdxl schema and")
		fmt.Fprintln(stderr, "placeholder images) and its control API under /_emulator/.")
		fmt.Fprintln(stderr, "\nflags:")
		fs.PrintDefaults()
	}
	fs.StringVar(&o.addr, "addr", envOr("HYBRIDGEN_EMULATOR_ADDR", "127.0.0.1:8090"), "address to listen on (env HYBRIDGEN_EMULATOR_ADDR)")
	fs.StringVar(&o.endpoint, "endpoint", envOr("HYBRIDGEN_EMULATOR_ENDPOINT", emulator.DefaultEndpointID), "endpoint id served under /v2/{endpoint}/ (env HYBRIDGEN_EMULATOR_ENDPOINT)")
	fs.StringVar(&o.apiKey, "api-key", "", "bearer token requests must carry; prefer env HYBRIDGEN_EMULATOR_API_KEY (flags show in ps); empty turns auth off")
	fs.DurationVar(&o.coldStart, "cold-start", 3*time.Second, "cold start paid by each worker's first job")
	fs.DurationVar(&o.execTime, "execution-time", 2*time.Second, "execution time of a 25-step, one-image job (scaled by steps and images)")
	fs.IntVar(&o.workers, "workers", 1, "number of simulated workers")
	fs.DurationVar(&o.idleTimeout, "idle-timeout", 0, "a worker idle this long goes cold again (0: stays warm)")
	fs.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	if err := fs.Parse(args); err != nil {
		return o, usageError{err}
	}
	if o.apiKey == "" {
		o.apiKey = os.Getenv("HYBRIDGEN_EMULATOR_API_KEY")
	}
	switch {
	case fs.NArg() > 0:
		return o, usageError{fmt.Errorf("runpod-emulator: unexpected arguments %q", fs.Args())}
	case o.logFormat != "text" && o.logFormat != "json":
		return o, usageError{fmt.Errorf("runpod-emulator: -log-format must be text or json, got %q", o.logFormat)}
	case o.workers < 1:
		return o, usageError{fmt.Errorf("runpod-emulator: -workers must be at least 1, got %d", o.workers)}
	case o.coldStart < 0 || o.execTime < 0 || o.idleTimeout < 0:
		return o, usageError{fmt.Errorf("runpod-emulator: durations must not be negative")}
	}
	return o, nil
}

// runEmulator serves the RunPod emulator until ctx is cancelled.
func runEmulator(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts, err := parseEmulatorFlags(args, stderr)
	if err != nil {
		return err
	}
	logger := newLogger(stderr, opts.logFormat)
	emu := emulator.New(emulator.Config{
		APIKey:        opts.apiKey,
		EndpointID:    opts.endpoint,
		ColdStart:     opts.coldStart,
		ExecutionTime: opts.execTime,
		Workers:       opts.workers,
		IdleTimeout:   opts.idleTimeout,
		Logger:        logger,
	})
	defer emu.Close()
	// /runsync may hold a request up to 300 s before its first write.
	srv, err := server.Listen(server.Config{Addr: opts.addr, Handler: emu, Logger: logger, WriteTimeout: 6 * time.Minute})
	if err != nil {
		return err
	}
	base := emulator.BaseURL(srv.URL())
	if opts.apiKey == "" {
		logger.Warn("runpod emulator: no API key set, authentication is off")
	}
	logger.Info("runpod emulator (test double) serving", "base_url", base, "endpoint", opts.endpoint,
		"api_key_set", opts.apiKey != "", "workers", opts.workers, "cold_start", opts.coldStart, "execution_time", opts.execTime)
	fmt.Fprintf(stdout, "RunPod emulator (test double, not RunPod) listening\n")
	fmt.Fprintf(stdout, "base URL: %s\nendpoint: %s\ncontrol:  %s/_emulator/\n", base, opts.endpoint, srv.URL())
	return srv.Serve(ctx)
}
