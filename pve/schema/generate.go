package schema

//go:generate go run ./internal/gen -in ../../../shared/pve-api/apidata.json -out operations.bin
//go:generate go run ./internal/classtable -out classes.txt
