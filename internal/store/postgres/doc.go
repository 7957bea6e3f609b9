// Package postgres is the server store backend.
package postgres
