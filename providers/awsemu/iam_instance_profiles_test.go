package awsemu_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/flowplan/flowplan/providers/awsemu"
	"github.com/flowplan/flowplan/providers/awsemu/emutest"
)

// TestInstanceProfiles follows the path Terraform's aws_iam_role takes on
// destroy: list the role's instance profiles, remove the role from each,
// then delete the role, which IAM refuses while a profile still holds it.
func TestInstanceProfiles(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	client := iam.NewFromConfig(oneCfg(s))
	_, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(flowLogsTrust)})
	must(t, err)

	none, err := client.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String("app")})
	must(t, err)
	if len(none.InstanceProfiles) != 0 || none.IsTruncated {
		t.Fatalf("profiles of a new role = %+v", none)
	}
	_, err = client.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String("nope")})
	wantAPIError(t, err, "NoSuchEntity", "The role with name nope cannot be found.")

	created, err := client.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("app-profile"),
		Path: aws.String("/apps/"), Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("web")}}})
	must(t, err)
	p := created.InstanceProfile
	if aws.ToString(p.Arn) != "arn:aws:iam::111111111111:instance-profile/apps/app-profile" ||
		!strings.HasPrefix(aws.ToString(p.InstanceProfileId), "AIPA") || len(p.Roles) != 0 || len(p.Tags) != 1 {
		t.Fatalf("created profile = %+v", p)
	}
	_, err = client.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("APP-profile")})
	wantAPIError(t, err, "EntityAlreadyExists", "Instance Profile APP-profile already exists.")
	_, err = client.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("bad name")})
	wantAPIError(t, err, "ValidationError", "instanceProfileName")
	_, err = client.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("nope")})
	wantAPIError(t, err, "NoSuchEntity", "Instance Profile nope cannot be found.")
	_, err = client.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("app-profile"), RoleName: aws.String("nope")})
	wantAPIError(t, err, "NoSuchEntity", "The role with name nope cannot be found.")

	_, err = client.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("app-profile"), RoleName: aws.String("app")})
	must(t, err)
	// One role per profile, and that quota cannot be raised; the same role
	// again exceeds it too.
	for _, role := range []string{"app", "delivery"} {
		_, err = client.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("app-profile"), RoleName: aws.String(role)})
		wantAPIError(t, err, "LimitExceeded", "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
	}
	got, err := client.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("app-profile")})
	must(t, err)
	if len(got.InstanceProfile.Roles) != 1 || aws.ToString(got.InstanceProfile.Roles[0].Arn) != "arn:aws:iam::111111111111:role/app" {
		t.Fatalf("profile roles = %+v", got.InstanceProfile.Roles)
	}

	// The membership survives a save and load, as the sandbox keeps it.
	var saved bytes.Buffer
	must(t, s.Emu.Save(&saved))
	loaded := awsemu.New(awsemu.Options{})
	must(t, loaded.Load(&saved))
	client = iam.NewFromConfig(oneCfg(&emutest.Server{Emu: loaded, URL: newServer(t, loaded)}))

	_, err = client.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("app")})
	wantAPIError(t, err, "DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.")
	_, err = client.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("app-profile")})
	wantAPIError(t, err, "DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.")

	// A second profile, so that the role's listing pages.
	_, err = client.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("app-profile-2")})
	must(t, err)
	_, err = client.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("app-profile-2"), RoleName: aws.String("app")})
	must(t, err)
	var names []string
	pages := iam.NewListInstanceProfilesForRolePaginator(client, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String("app"), MaxItems: aws.Int32(1)})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		must(t, err)
		for _, ip := range out.InstanceProfiles {
			names = append(names, aws.ToString(ip.InstanceProfileName))
			if len(ip.Tags) != 0 {
				t.Errorf("listing returned tags of %s; AWS returns them from GetInstanceProfile only", aws.ToString(ip.InstanceProfileName))
			}
		}
	}
	if strings.Join(names, ",") != "app-profile,app-profile-2" {
		t.Fatalf("profiles of app = %v", names)
	}
	all, err := client.ListInstanceProfiles(ctx, &iam.ListInstanceProfilesInput{PathPrefix: aws.String("/apps/")})
	must(t, err)
	if len(all.InstanceProfiles) != 1 || aws.ToString(all.InstanceProfiles[0].InstanceProfileName) != "app-profile" {
		t.Fatalf("profiles under /apps/ = %+v", all.InstanceProfiles)
	}

	for _, name := range names {
		_, err = client.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String(name), RoleName: aws.String("app")})
		must(t, err)
	}
	_, err = client.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("app-profile"), RoleName: aws.String("app")})
	wantAPIError(t, err, "NoSuchEntity", "app")
	_, err = client.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("app")})
	must(t, err)
	_, err = client.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("app-profile")})
	must(t, err)
	_, err = client.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("app-profile")})
	wantAPIError(t, err, "NoSuchEntity", "")
}
