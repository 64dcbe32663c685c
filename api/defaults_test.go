package api

import (
	"testing"
	"time"
)

func TestApplyDefaults_FillsZeroValuesOnly(t *testing.T) {
	c := &Cluster{Spec: ClusterSpec{
		Access:  Access{SSH: SSHAccess{Port: 2222}},
		Members: []Member{{Name: "a"}, {Name: "b", Votes: 2}},
		QDevice: &QDevice{TieBreaker: "highest"},
	}}
	c.ApplyDefaults()
	a := c.Spec.Access
	checks := []struct {
		name      string
		got, want any
	}{
		{"api.port", a.API.Port, 8006},
		{"api.timeout", a.API.Timeout.D(), 10 * time.Second},
		{"ssh.user", a.SSH.User, "root"},
		{"ssh.port kept", a.SSH.Port, 2222},
		{"ssh.maxSessions", a.SSH.MaxSessions, 8},
		{"ssh.timeout", a.SSH.Timeout.D(), 10 * time.Second},
		{"ssh.commandTimeout", a.SSH.CommandTimeout.D(), 60 * time.Second},
		{"members[0].votes", c.Spec.Members[0].Votes, 1},
		{"members[1].votes kept", c.Spec.Members[1].Votes, 2},
		{"qdevice.algorithm", c.Spec.QDevice.Algorithm, "ffsplit"},
		{"qdevice.tieBreaker kept", c.Spec.QDevice.TieBreaker, "highest"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestApplyDefaults_NoQDeviceStaysNil(t *testing.T) {
	c := &Cluster{}
	c.ApplyDefaults()
	if c.Spec.QDevice != nil {
		t.Errorf("ApplyDefaults created a qdevice")
	}
}
