# Terraform against the flowplan sandbox (examples/sandbox/world.yaml):
# the sandbox's own keys belong to the log-archive account, 333333333333;
# the prod account, 111111111111, is reached by assuming its FlowplanRunner
# role, as on AWS. TestTerraformRoundTrip (terraform_test.go) applies this
# module, checks that a second plan is empty, and destroys it.

terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}

# The sandbox's address, such as http://127.0.0.1:4566.
variable "endpoint" {
  type = string
}

locals {
  sandbox_access_key = "AKIAFLOWPLANSANDBOX0"
  sandbox_secret_key = "flowplan-sandbox-secret-not-a-real-secret"
}

provider "aws" {
  region                  = "us-east-1"
  access_key              = local.sandbox_access_key
  secret_key              = local.sandbox_secret_key
  skip_metadata_api_check = true
  s3_use_path_style       = true
  endpoints {
    ec2  = var.endpoint
    iam  = var.endpoint
    logs = var.endpoint
    s3   = var.endpoint
    sts  = var.endpoint
  }
  assume_role {
    role_arn     = "arn:aws:iam::111111111111:role/FlowplanRunner"
    session_name = "terraform"
  }
}

# The log-archive account, which owns the archive bucket: the sandbox keys
# as they are.
provider "aws" {
  alias                   = "archive"
  region                  = "us-east-1"
  access_key              = local.sandbox_access_key
  secret_key              = local.sandbox_secret_key
  skip_metadata_api_check = true
  s3_use_path_style       = true
  endpoints {
    iam = var.endpoint
    s3  = var.endpoint
    sts = var.endpoint
  }
}

data "aws_caller_identity" "prod" {}
