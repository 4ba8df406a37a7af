package aws

import (
	"context"
	"slices"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/internal/arn"
)

// roleDescription is the description flowplan gives the roles it creates.
// Listing roles by path uses it to pick the candidates worth a GetRole
// (ListRoles returns no tags).
const roleDescription = "Managed by flowplan"

// iamPageSize is the largest page of IAM list calls.
const iamPageSize = 1000

// DiscoverAccount reads the named delivery roles (GetRole) and their
// inline policies (GetRolePolicy). A missing role or policy is absent, not
// an error. With ListPathPrefixes it also lists roles under those paths and
// reads those described as flowplan's, so that pruning finds roles the
// spec no longer names; of those, only roles carrying a flowplan:spec tag
// are returned.
func (p *Provider) DiscoverAccount(ctx context.Context, q engine.AccountQuery) (*engine.AccountState, error) {
	s, err := p.session(ctx, q.Account)
	if err != nil {
		return nil, err
	}
	c := p.iam(s)
	scope := scopeName(q.Account.ID, engine.GlobalRegion)
	st := &engine.AccountState{}
	read := map[string]bool{}
	readRole := func(name string, onlyManaged bool) error {
		read[name] = true
		role, err := getRole(ctx, c, name)
		if err != nil || role == nil {
			return wrap("get role "+name+" in", scope, err)
		}
		r := roleResource(q.Account.ID, role)
		if onlyManaged && r.Tags[engine.TagSpec] == "" {
			return nil
		}
		st.Roles = append(st.Roles, r)
		for _, pn := range q.PolicyNames {
			doc, ok, err := getRolePolicy(ctx, c, name, pn)
			if err != nil {
				return wrap("get role policy "+name+"/"+pn+" in", scope, err)
			}
			if ok {
				st.RolePolicies = append(st.RolePolicies, rolePolicyResource(q.Account.ID, name, pn, doc))
			}
		}
		return nil
	}
	for _, name := range q.RoleNames {
		if read[name] {
			continue
		}
		if err := readRole(name, false); err != nil {
			return nil, err
		}
	}
	for _, prefix := range q.ListPathPrefixes {
		names, err := listFlowplanRoles(ctx, c, prefix)
		if err != nil {
			return nil, wrap("list roles under "+prefix+" in", scope, err)
		}
		for _, name := range names {
			if read[name] {
				continue
			}
			if err := readRole(name, true); err != nil {
				return nil, err
			}
		}
	}
	sort.Slice(st.Roles, func(i, j int) bool { return st.Roles[i].Addr.Less(st.Roles[j].Addr) })
	sort.Slice(st.RolePolicies, func(i, j int) bool { return st.RolePolicies[i].Addr.Less(st.RolePolicies[j].Addr) })
	return st, nil
}

// getRole returns the role, or nil when it does not exist.
func getRole(ctx context.Context, c *iam.Client, name string) (*iamtypes.Role, error) {
	out, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if ErrorCode(err) == "NoSuchEntity" {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return out.Role, nil
}

// getRolePolicy returns an inline policy document as IAM returns it
// (URL-encoded); ok is false when the policy does not exist.
func getRolePolicy(ctx context.Context, c *iam.Client, role, policy string) (doc string, ok bool, err error) {
	out, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(policy)})
	if ErrorCode(err) == "NoSuchEntity" {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return aws.ToString(out.PolicyDocument), true, nil
}

// listFlowplanRoles lists the names of the roles under a path that carry
// flowplan's description, sorted.
func listFlowplanRoles(ctx context.Context, c *iam.Client, pathPrefix string) ([]string, error) {
	pg := iam.NewListRolesPaginator(c, &iam.ListRolesInput{PathPrefix: aws.String(pathPrefix), MaxItems: aws.Int32(iamPageSize)})
	roles, err := allPages(ctx, pg.HasMorePages, pg.NextPage, func(p *iam.ListRolesOutput) []iamtypes.Role { return p.Roles })
	if err != nil {
		return nil, err
	}
	var names []string
	for _, r := range roles {
		if aws.ToString(r.Description) == roleDescription {
			names = append(names, aws.ToString(r.RoleName))
		}
	}
	slices.Sort(names)
	return names, nil
}

// DiscoverBucket reads a bucket's policy with the bucket owner's
// credentials in the bucket's region. A bucket that does not exist has
// Exists false; one without a policy has an empty Policy. Access denied is
// an error, not absence: it means the owner's credentials are wrong.
func (p *Provider) DiscoverBucket(ctx context.Context, q engine.BucketQuery) (*engine.BucketState, error) {
	s, err := p.session(ctx, q.Account)
	if err != nil {
		return nil, err
	}
	addr := engine.BucketScope(q.Account.ID, q.Bucket)
	region, ok, err := p.bucketRegion(ctx, s, q.Bucket)
	if err != nil {
		return nil, wrap("get bucket location of", addr, err)
	}
	if !ok {
		return &engine.BucketState{}, nil
	}
	policy, ok, err := getBucketPolicy(ctx, p.s3(s, region), q.Bucket)
	if err != nil {
		return nil, wrap("get bucket policy of", addr, err)
	}
	return &engine.BucketState{Exists: ok, Policy: policy}, nil
}

// ListBuckets returns the names of the buckets the account owns: S3
// ListBuckets "returns a list of all buckets owned by the authenticated
// sender of the request" (it needs s3:ListAllMyBuckets). It is sent to the
// account's first region, so that it reaches the account's partition, or
// where GetBucketLocation goes for an account without regions; it lists
// the buckets of every region either way. Pages of up to 10,000 buckets
// are followed, as AWS requires for accounts with more.
func (p *Provider) ListBuckets(ctx context.Context, a engine.Account) ([]string, error) {
	s, err := p.session(ctx, a)
	if err != nil {
		return nil, err
	}
	region := p.locationRegion()
	if len(a.Regions) > 0 {
		region = a.Regions[0]
	}
	pg := s3.NewListBucketsPaginator(p.s3(s, region), &s3.ListBucketsInput{MaxBuckets: aws.Int32(10000)})
	buckets, err := allPages(ctx, pg.HasMorePages, pg.NextPage, func(o *s3.ListBucketsOutput) []s3types.Bucket { return o.Buckets })
	if err != nil {
		return nil, wrap("list buckets of", scopeName(a.ID, engine.GlobalRegion), err)
	}
	names := make([]string, 0, len(buckets))
	for _, b := range buckets {
		names = append(names, aws.ToString(b.Name))
	}
	slices.Sort(names)
	return names, nil
}

// bucketRegion returns the region of a bucket (remembered between
// discovery and apply); ok is false when the bucket does not exist.
func (p *Provider) bucketRegion(ctx context.Context, s *session, bucket string) (region string, ok bool, err error) {
	if r, ok := p.bucketRegions.Load(bucket); ok {
		return r.(string), true, nil
	}
	out, err := p.s3(s, p.locationRegion()).GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(bucket)})
	if ErrorCode(err) == "NoSuchBucket" {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	region = locationRegion(string(out.LocationConstraint))
	p.bucketRegions.Store(bucket, region)
	return region, true, nil
}

// locationRegion is where GetBucketLocation is sent: us-east-1, which
// answers for buckets in every region of the aws partition, or the home
// region in other partitions.
func (p *Provider) locationRegion() string {
	if arn.Partition(p.opts.Region) == "aws" {
		return "us-east-1"
	}
	return p.opts.Region
}

// locationRegion turns a LocationConstraint into a region: empty means
// us-east-1 and the legacy "EU" means eu-west-1.
func locationRegion(lc string) string {
	switch lc {
	case "":
		return "us-east-1"
	case "EU":
		return "eu-west-1"
	}
	return lc
}

// getBucketPolicy returns the bucket's policy, "" when it has none; ok is
// false when the bucket does not exist.
func getBucketPolicy(ctx context.Context, c *s3.Client, bucket string) (policy string, ok bool, err error) {
	out, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	switch ErrorCode(err) {
	case "":
	case "NoSuchBucketPolicy":
		return "", true, nil
	case "NoSuchBucket":
		return "", false, nil
	default:
		return "", false, err
	}
	if err != nil {
		return "", false, err
	}
	return aws.ToString(out.Policy), true, nil
}
