package models

// allModels lists every table Migrate creates, in dependency order.
var allModels = []any{
	&Role{}, &User{}, &Team{}, &Grant{}, &AuditEvent{}, &Setting{},
	&Channel{}, &Subchannel{}, &Artifact{},
	&Page{},
	&Token{},
}
