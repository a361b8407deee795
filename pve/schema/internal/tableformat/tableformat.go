// Package tableformat is the one definition of operations.bin's layout markers: the generator (internal/gen)
// writes them and package schema reads them, so that neither can drift from the other.
package tableformat

// Magic opens the file; a change of the layout changes it.
const Magic = "pveschema1\n"

// A parameter's flags.
const (
	ParamOptional = 1 << iota
	ParamDefaultKey
	ParamHasDefault
	ParamHasMin
	ParamHasMax
	ParamHasMinLength
	ParamHasMaxLength
	ParamKeysFromTypeText
)

// A schema node's flags.
const (
	SchemaOptional = 1 << iota
	SchemaAdditionalProperties
	SchemaHasMin
	SchemaHasMax
)

// An operation's flags.
const (
	OpProtected = 1 << iota
	OpAllowToken
	OpHasPermissions
	OpExposeCredentials
	OpDownloadAllowed
	OpAdditionalParams
)

// CheckAny is the flag of a permission check that any of its privileges satisfies.
const CheckAny = 1

// The kinds of a permission check; 0 is none.
const (
	CheckPerm = iota + 1
	CheckAnd
	CheckOr
	CheckUseridGroup
	CheckUseridParam
	CheckPermModify
)
