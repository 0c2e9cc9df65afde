# Two pools of organization-level runners (x64 spot and arm64 on-demand), Lambdas in private subnets.
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
}

variable "region" {
  type        = string
  default     = "eu-west-1"
  description = "AWS region to deploy to."
}

variable "github_app_id" {
  type        = string
  description = "ID of your GitHub App (installed on the organization)."
}

variable "vpc_id" {
  type        = string
  description = "VPC of the runner and Lambda subnets."
}

variable "private_subnet_ids" {
  type        = list(string)
  description = "Private subnets with a route to the internet (NAT), one per availability zone."
}

resource "aws_security_group" "lambdas" {
  name        = "self-runners-lambdas"
  description = "self-runners Lambda functions: outbound only"
  vpc_id      = var.vpc_id

  egress {
    description = "GitHub and AWS APIs"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

module "runners" {
  source = "../../../modules-out/terraform-aws-self-runners"

  prefix            = "ci-runners"
  github_app_id     = var.github_app_id
  runner_scope      = "org"
  vpc_id            = var.vpc_id
  runner_subnet_ids = var.private_subnet_ids

  lambda_subnet_ids         = var.private_subnet_ids
  lambda_security_group_ids = [aws_security_group.lambdas.id]

  pools = {
    linux-x64 = {
      labels         = ["linux", "x64"]
      instance_types = ["c7i.xlarge", "c6i.xlarge", "m7i.xlarge"]
      max_runners    = 100
      spot           = true
    }
    linux-arm64 = {
      labels           = ["linux", "arm64"]
      instance_types   = ["c7g.xlarge", "m7g.xlarge"]
      architecture     = "arm64"
      max_runners      = 40
      spot             = false
      root_volume_size = 80
      runner_group_id  = 1
    }
  }

  log_retention_days = 90
  tags = {
    team = "platform"
  }
}

output "webhook_url" {
  description = "Paste into the GitHub App's webhook URL."
  value       = module.runners.webhook_url
}

output "queue_arns" {
  description = "Job queue per pool."
  value       = module.runners.queue_arns
}
