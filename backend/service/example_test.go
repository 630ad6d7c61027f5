package service_test

import (
	"context"
	"fmt"
	"os"

	"ferry/backend/events"
	"ferry/backend/service"
)

// Example creates a manual migration and lists the In Progress tab, as the New migration
// dialog and the table do.
func Example() {
	dir, _ := os.MkdirTemp("", "ferry-example")
	defer os.RemoveAll(dir)
	os.Setenv("FERRY_KEYRING", "off") // keep the example away from the desktop keyring
	ctx := context.Background()
	svc, err := service.Open(ctx, service.Config{DataDir: dir, Emitter: events.Nop{}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer svc.Close()

	_, err = svc.CreateMigration(ctx, service.CreateInput{
		Method: "manual", UserName: "Ada Owner", UserEmail: "ada@example.com", Service: "Business 10GB",
		Domain: "example.com", OldURL: "http://old.example.com", NewURL: "https://example.com",
		Destination: service.EndpointInput{Protocol: "local", Path: "/srv/www/example",
			DB: service.DatabaseInput{Host: "127.0.0.1", User: "wp", Password: "secret", Name: "wp"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	page, _ := svc.ListMigrations(ctx, service.ListQuery{Tab: "in_progress"})
	for _, r := range page.Rows {
		fmt.Printf("%d %s %s: %s (action required: %v)\n", r.ID, r.User.Name, r.Domain, r.StatusText, r.ActionRequired)
	}
	fmt.Println("In Progress:", page.Counts.InProgress)

	_, err = svc.MarkSuccessful(ctx, 1)
	fmt.Println(service.CodeOf(err))
	// Output:
	// 1 Ada Owner example.com: Waiting for files (action required: true)
	// In Progress: 1
	// not_allowed
}
