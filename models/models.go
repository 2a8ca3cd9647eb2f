package models

// allModels lists every GORM struct that maps to a table, for
// TestModelsMatchSchema. The schema itself comes from migrations/.
var allModels = []any{
	&Role{}, &User{}, &Team{}, &Grant{}, &AuditEvent{}, &Setting{},
	&Channel{}, &Subchannel{}, &Artifact{}, &PackageName{},
	&Page{},
	&Token{},
	&Session{},
	&Notice{},
	&BlockedLicense{}, &Vulnerability{}, &VulnerabilityAnnotation{},
	&ChannelGroup{}, &ChannelGroupMember{}, &SubchannelGroup{}, &SubchannelGroupMember{},
	&Mirror{}, &MirrorRun{},
}

// AllModels lists every GORM struct that maps to a table.
func AllModels() []any { return allModels }
