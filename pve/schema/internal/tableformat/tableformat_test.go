package tableformat

import (
	"math/bits"
	"testing"
)

// TestFlagsAreDistinctBits: within each group every flag is one bit of its own, and the check kinds are
// distinct and not 0 (which reads as "no check").
func TestFlagsAreDistinctBits(t *testing.T) {
	groups := map[string][]uint64{
		"param":  {ParamOptional, ParamDefaultKey, ParamHasDefault, ParamHasMin, ParamHasMax, ParamHasMinLength, ParamHasMaxLength, ParamKeysFromTypeText},
		"schema": {SchemaOptional, SchemaAdditionalProperties, SchemaHasMin, SchemaHasMax},
		"op":     {OpProtected, OpAllowToken, OpHasPermissions, OpExposeCredentials, OpDownloadAllowed, OpAdditionalParams},
	}
	for name, flags := range groups {
		var seen uint64
		for _, f := range flags {
			if bits.OnesCount64(f) != 1 || seen&f != 0 {
				t.Errorf("%s flag %#x is not a bit of its own", name, f)
			}
			seen |= f
		}
	}
	kinds := map[int]bool{}
	for _, k := range []int{CheckPerm, CheckAnd, CheckOr, CheckUseridGroup, CheckUseridParam, CheckPermModify} {
		if k == 0 || kinds[k] {
			t.Errorf("check kind %d is 0 or given twice", k)
		}
		kinds[k] = true
	}
}
