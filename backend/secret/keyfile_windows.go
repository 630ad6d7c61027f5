package secret

import (
	"fmt"

	"golang.org/x/sys/windows"
)

// privateKeyFile makes the freshly created, still empty key file readable by its user
// only. Windows ignores the 0600 mode (it only toggles the read-only bit), so the file
// would inherit the folder's ACL, which FERRY_DATA_DIR may point anywhere. The file gets
// a protected DACL with one entry, full control for the current user; when that cannot
// be set, OpenBox removes the file and refuses to keep the key there.
func privateKeyFile(path string) error {
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return fmt.Errorf("find the current Windows user: %w", err)
	}
	acl, err := windows.ACLFromEntries([]windows.EXPLICIT_ACCESS{{
		AccessPermissions: windows.GENERIC_ALL,
		AccessMode:        windows.GRANT_ACCESS,
		Inheritance:       windows.NO_INHERITANCE,
		Trustee: windows.TRUSTEE{
			TrusteeForm:  windows.TRUSTEE_IS_SID,
			TrusteeType:  windows.TRUSTEE_IS_USER,
			TrusteeValue: windows.TrusteeValueFromSID(u.User.Sid),
		},
	}}, nil)
	if err != nil {
		return fmt.Errorf("build the key file's access list: %w", err)
	}
	err = windows.SetNamedSecurityInfo(path, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, acl, nil)
	if err != nil {
		return fmt.Errorf("make %s readable only by you: %w", path, err)
	}
	return nil
}
