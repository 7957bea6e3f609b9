// Command tipd is a self-hosted threat-intelligence portal: it imports
// intelligence feeds into a store and answers the IP lookup API.
//
// main only calls run; everything else is testable.
package main

import (
	"context"
	"os"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr))
}
