package runpod_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"time"

	"hybridgen/internal/emulator"
	"hybridgen/internal/runpod"
)

// Example renders one image through the emulator: submit, wait, read the
// billing times and the image.
func Example() {
	emu := emulator.New(emulator.Config{APIKey: "key", EndpointID: "sdxl", ExecutionTime: 10 * time.Millisecond})
	defer emu.Close()
	srv := httptest.NewServer(emu)
	defer srv.Close()

	client, err := runpod.NewClient(runpod.ClientConfig{
		BaseURL: emulator.BaseURL(srv.URL), EndpointID: "sdxl", APIKey: "key",
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	job, err := client.Run(ctx, runpod.SDXLInput{Prompt: "a lighthouse at dusk", Width: 512, Height: 512, Seed: runpod.Seed(7)},
		runpod.RunOptions{Policy: runpod.Policy{ExecutionTimeout: time.Minute}})
	if err != nil {
		panic(err)
	}
	job, err = client.Wait(ctx, job.ID, runpod.WaitOptions{PollInterval: 5 * time.Millisecond})
	var jobErr *runpod.JobError
	switch {
	case errors.As(err, &jobErr):
		fmt.Println("job ended", jobErr.Job.Status, "after", jobErr.Job.ExecutionTime)
	case err != nil:
		panic(err)
	}
	fmt.Println(job.Status, job.ExecutionTime >= 10*time.Millisecond)
	fmt.Println(len(job.Output.Images), strings.HasPrefix(job.Output.Images[0], "data:image/png;base64,"), job.Output.Seed)
	// Output:
	// COMPLETED true
	// 1 true 7
}
