module github.com/quorate/quorate

go 1.26.8

require (
	github.com/Telmate/proxmox-api-go v0.0.0-20260201220834-d1b91f64e60f
	github.com/hashicorp/go-cleanhttp v0.5.2
	github.com/hashicorp/go-retryablehttp v0.7.8
	github.com/pmezard/go-difflib v1.0.0
	go.yaml.in/yaml/v3 v3.0.6
	golang.org/x/crypto v0.58.0
)

require golang.org/x/sys v0.49.0 // indirect
