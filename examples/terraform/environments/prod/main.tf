# prod: the organization's runners, sized for bursts, with a warm pool in working hours.
terraform {
  required_version = ">= 1.6.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100.0, < 7.0.0"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      environment = "prod"
    }
  }
}

variable "region" {
  type        = string
  default     = "eu-west-1"
  description = "AWS region to deploy to."
}

variable "github_app_id" {
  type        = string
  description = "ID of the GitHub App of this environment."
}

variable "github_organization" {
  type        = string
  description = "Organization whose warm pool is kept ready in working hours."
}

variable "vpc_id" {
  type        = string
  description = "VPC of the runner subnets."
}

variable "runner_subnet_ids" {
  type        = list(string)
  description = "Private subnets (with NAT) for runners, one per availability zone."
}

# dev and prod call the same module source; an upgrade changes both roots in one commit and reaches
# prod after dev (with a registry source, both carry the same version = "x.y.z").
module "runners" {
  source = "../../../../modules-out/terraform-aws-self-runners"

  prefix            = "runners-prod"
  github_app_id     = var.github_app_id
  vpc_id            = var.vpc_id
  runner_subnet_ids = var.runner_subnet_ids
  runner_scope      = "org"

  pools = {
    linux-x64 = {
      labels             = ["linux", "x64"]
      instance_types     = ["c7i.xlarge", "c6i.xlarge", "m7i.xlarge"]
      max_runners        = 200
      spot               = true
      warm_pool_size     = 5
      warm_pool_owner    = var.github_organization
      warm_pool_schedule = "Mon-Fri 07:00-19:00"
    }
    linux-arm64 = {
      labels         = ["linux", "arm64"]
      instance_types = ["c7g.xlarge", "m7g.xlarge"]
      architecture   = "arm64"
      max_runners    = 50
      spot           = false
    }
  }

  max_runners_total                    = 250
  log_retention_days                   = 365
  runners_table_point_in_time_recovery = true
  job_ledger_point_in_time_recovery    = true
}

output "webhook_url" {
  description = "Paste into the GitHub App's webhook URL."
  value       = module.runners.webhook_url
}
