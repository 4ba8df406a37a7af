package render

import (
	"strings"
	"time"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/internal/arn"
)

// OCSF Compliance Finding (class 2003, category Findings), as the OCSF
// schema defines it: one finding per unit that is not compliant or whose
// records are stale, for SIEM and Security Hub pipelines.
const (
	// OCSFVersion is the schema version the findings follow.
	OCSFVersion         = "1.3.0"
	ocsfClassUID        = 2003
	ocsfCategoryUID     = 2
	ocsfActivityCreate  = 1
	ocsfStatusNew       = 1
	ocsfComplianceWarn  = 2
	ocsfComplianceFail  = 3
	ocsfSeverityMedium  = 3
	ocsfSeverityUnknown = 0
)

// OCSFFinding is one OCSF Compliance Finding.
type OCSFFinding struct {
	ActivityID   int             `json:"activity_id"`
	ActivityName string          `json:"activity_name"`
	CategoryUID  int             `json:"category_uid"`
	CategoryName string          `json:"category_name"`
	ClassUID     int             `json:"class_uid"`
	ClassName    string          `json:"class_name"`
	TypeUID      int             `json:"type_uid"`
	TypeName     string          `json:"type_name"`
	Time         int64           `json:"time"`
	SeverityID   int             `json:"severity_id"`
	Severity     string          `json:"severity"`
	StatusID     int             `json:"status_id"`
	Status       string          `json:"status"`
	Message      string          `json:"message"`
	Metadata     OCSFMetadata    `json:"metadata"`
	FindingInfo  OCSFFindingInfo `json:"finding_info"`
	Compliance   OCSFCompliance  `json:"compliance"`
	Cloud        OCSFCloud       `json:"cloud"`
	Resources    []OCSFResource  `json:"resources"`
	Remediation  OCSFRemediation `json:"remediation"`
	Unmapped     map[string]any  `json:"unmapped,omitempty"`
}

// OCSFMetadata names the producer and the schema version.
type OCSFMetadata struct {
	Version string      `json:"version"`
	Product OCSFProduct `json:"product"`
}

// OCSFProduct is flowplan.
type OCSFProduct struct {
	Name       string `json:"name"`
	VendorName string `json:"vendor_name"`
	Version    string `json:"version"`
}

// OCSFFindingInfo identifies the finding: its uid is stable across runs
// (the unit's address), so a pipeline can update it instead of adding.
type OCSFFindingInfo struct {
	UID   string   `json:"uid"`
	Title string   `json:"title"`
	Desc  string   `json:"desc"`
	Types []string `json:"types"`
}

// OCSFCompliance is the check's result against the controls.
type OCSFCompliance struct {
	StatusID     int      `json:"status_id"`
	Status       string   `json:"status"`
	StatusDetail string   `json:"status_detail,omitempty"`
	Control      string   `json:"control"`
	Standards    []string `json:"standards"`
	Requirements []string `json:"requirements"`
}

// OCSFCloud places the finding.
type OCSFCloud struct {
	Provider string      `json:"provider"`
	Region   string      `json:"region,omitempty"`
	Account  OCSFAccount `json:"account"`
}

// OCSFAccount is an AWS account.
type OCSFAccount struct {
	UID  string `json:"uid"`
	Name string `json:"name,omitempty"`
}

// OCSFResource is the target checked.
type OCSFResource struct {
	UID            string         `json:"uid"`
	Name           string         `json:"name,omitempty"`
	Type           string         `json:"type"`
	Region         string         `json:"region,omitempty"`
	CloudPartition string         `json:"cloud_partition,omitempty"`
	Owner          OCSFOwner      `json:"owner"`
	Data           map[string]any `json:"data,omitempty"`
}

// OCSFOwner is the account owning the resource.
type OCSFOwner struct {
	Account OCSFAccount `json:"account"`
}

// OCSFRemediation says what to do.
type OCSFRemediation struct {
	Desc string `json:"desc"`
}

// auditOCSF builds the findings: an array, empty when all is well.
func auditOCSF(a *engine.Audit, doc AuditJSON) []OCSFFinding {
	out := []OCSFFinding{}
	at, _ := time.Parse(time.RFC3339, doc.GeneratedAt)
	var standards, requirements []string
	control := ""
	for _, c := range doc.Controls {
		standards = append(standards, c.Standard)
		requirements = append(requirements, c.Standard+" "+c.ID)
		if control == "" {
			control = c.ID
		}
	}
	aliases := accountAliases(a.Accounts)
	for _, u := range a.Findings() {
		status, compID, compName := string(u.Status), ocsfComplianceFail, "Fail"
		severityID, severity := ocsfSeverityMedium, "Medium"
		detail := strings.Join(u.Reasons, "; ")
		title := "Target not logged as rule " + u.Rule + " requires"
		switch {
		case u.Status == engine.AuditCompliant:
			status, compID, compName = "stale", ocsfComplianceWarn, "Warning"
			detail = u.Evidence.Detail
			title = "Flow log records are stale"
		case u.Status == engine.AuditUnknown:
			compID, compName = ocsfComplianceWarn, "Warning"
			severityID, severity = ocsfSeverityUnknown, "Unknown"
			title = "Scope could not be audited"
		case u.Status == engine.AuditUncovered:
			title = "Target has no flow log"
		}
		resType, uid := "AWS::EC2::VPC", u.ResourceID
		switch u.ResourceType {
		case "Subnet":
			resType = "AWS::EC2::Subnet"
		case "NetworkInterface":
			resType = "AWS::EC2::NetworkInterface"
		case "TransitGateway":
			resType = "AWS::EC2::TransitGateway"
		case "TransitGatewayAttachment":
			resType = "AWS::EC2::TransitGatewayAttachment"
		case "RegionalNatGateway":
			resType = "AWS::EC2::NatGateway"
		case "":
			resType = "AWS::::Account"
			uid = arn.AccountRoot(arn.Partition(u.Region), u.Account)
		}
		if u.ResourceID != "" {
			uid = ec2ARN(u)
		}
		f := OCSFFinding{
			ActivityID: ocsfActivityCreate, ActivityName: "Create",
			CategoryUID: ocsfCategoryUID, CategoryName: "Findings",
			ClassUID: ocsfClassUID, ClassName: "Compliance Finding",
			TypeUID: ocsfClassUID*100 + ocsfActivityCreate, TypeName: "Compliance Finding: Create",
			Time:       at.UnixMilli(),
			SeverityID: severityID, Severity: severity,
			StatusID: ocsfStatusNew, Status: "New",
			Message:  unitLabel(u) + ": " + status + cond(detail != "", ": "+detail),
			Metadata: OCSFMetadata{Version: OCSFVersion, Product: OCSFProduct{Name: "flowplan", VendorName: "flowplan", Version: cmpOr(doc.FlowplanVersion, "devel")}},
			FindingInfo: OCSFFindingInfo{UID: "flowplan:" + doc.Spec.Name + ":" + u.Addr.String(), Title: title,
				Desc: detail, Types: []string{"VPC Flow Logs/" + status}},
			Compliance: OCSFCompliance{StatusID: compID, Status: compName, StatusDetail: detail, Control: control,
				Standards: standards, Requirements: requirements},
			Cloud: OCSFCloud{Provider: "AWS", Region: u.Region, Account: OCSFAccount{UID: u.Account, Name: aliases[u.Account]}},
			Resources: []OCSFResource{{UID: uid, Name: u.Name, Type: resType, Region: u.Region, CloudPartition: arn.Partition(u.Region),
				Owner: OCSFOwner{Account: OCSFAccount{UID: u.Account, Name: aliases[u.Account]}},
				Data:  map[string]any{"resource_id": u.ResourceID, "rule": u.Rule, "status": status, "flow_logs": append([]string{}, u.FlowLogs...), "via": u.Via}}},
			Remediation: OCSFRemediation{Desc: remedy(u, doc.Spec.File)},
		}
		out = append(out, f)
	}
	return out
}

// ec2ARN is the ARN of a unit's EC2 resource.
func ec2ARN(u *engine.AuditUnit) string {
	kind := map[string]string{"VPC": "vpc", "Subnet": "subnet", "NetworkInterface": "network-interface", "TransitGateway": "transit-gateway",
		"TransitGatewayAttachment": "transit-gateway-attachment", "RegionalNatGateway": "natgateway"}[u.ResourceType]
	return arn.ARN{Partition: arn.Partition(u.Region), Service: "ec2", Region: u.Region, Account: u.Account, Resource: kind + "/" + u.ResourceID}.String()
}

// remedy says what puts a finding right.
func remedy(u *engine.AuditUnit, specFile string) string {
	switch {
	case u.Status == engine.AuditUnknown:
		return "Give the audit's credentials read access to the account-region (flowplan iam-policy prints it), then audit again."
	case u.Status == engine.AuditCompliant:
		return "Check the flow log's delivery: " + u.Evidence.Detail + "."
	case u.Rule == engine.BaselineRule:
		return "Create a VPC flow log recording rejected traffic, or add a rule for this VPC to the spec."
	}
	return "Run " + engine.FixCommand(specFile, u.Addr) + " to create the flow log the rule asks for."
}

func cond(ok bool, s string) string {
	if ok {
		return s
	}
	return ""
}
