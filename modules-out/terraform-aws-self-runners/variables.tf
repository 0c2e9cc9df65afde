# ---------- General ----------
variable "prefix" {
  description = "Name prefix of every resource (queues, functions, roles, launch templates, runner names)."
  type        = string
  default     = "self-runners"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,18}[a-z0-9]$", var.prefix))
    error_message = "prefix must be 2-20 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}

# ---------- GitHub App ----------
variable "github_app_id" {
  description = "ID of the GitHub App the kit authenticates as (App settings page, 'App ID')."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{1,12}$", var.github_app_id))
    error_message = "github_app_id must be the numeric App ID shown on the GitHub App's settings page."
  }
}

variable "github_app_private_key_ssm_parameter_name" {
  description = "Existing SSM SecureString parameter holding the GitHub App's PEM private key. Empty: the module creates /<prefix>/github-app/private-key with a placeholder for you to overwrite."
  type        = string
  default     = ""

  validation {
    condition     = var.github_app_private_key_ssm_parameter_name == "" || (can(regex("^/[a-zA-Z0-9_.\\-/]{1,1000}$", var.github_app_private_key_ssm_parameter_name)))
    error_message = "github_app_private_key_ssm_parameter_name must be \"\" or an SSM parameter name starting with '/'."
  }
}

variable "webhook_secret_ssm_parameter_name" {
  description = "Existing SSM SecureString parameter holding the webhook secret. Empty: the module creates /<prefix>/github-app/webhook-secret with a placeholder for you to overwrite."
  type        = string
  default     = ""

  validation {
    condition     = var.webhook_secret_ssm_parameter_name == "" || (can(regex("^/[a-zA-Z0-9_.\\-/]{1,1000}$", var.webhook_secret_ssm_parameter_name)))
    error_message = "webhook_secret_ssm_parameter_name must be \"\" or an SSM parameter name starting with '/'."
  }
}

variable "webhook_previous_secret_ssm_parameter_name" {
  description = "Existing SSM SecureString parameter for the previous webhook secret, which the webhook also accepts while it holds a real value (see \"Rotating the webhook secret\" in docs/security.md). Empty: the module creates /<prefix>/github-app/webhook-secret-previous with a placeholder, which accepts nothing."
  type        = string
  default     = ""

  validation {
    condition     = var.webhook_previous_secret_ssm_parameter_name == "" || (can(regex("^/[a-zA-Z0-9_.\\-/]{1,1000}$", var.webhook_previous_secret_ssm_parameter_name)))
    error_message = "webhook_previous_secret_ssm_parameter_name must be \"\" or an SSM parameter name starting with '/'."
  }
}

variable "github_api_url" {
  description = "GitHub REST API base URL; for GitHub Enterprise Server use https://HOST/api/v3."
  type        = string
  default     = "https://api.github.com"

  validation {
    condition     = can(regex("^https://[^\\s/]+(/\\S*)?$", var.github_api_url))
    error_message = "github_api_url must be an https:// URL such as https://api.github.com or https://HOST/api/v3."
  }
}

variable "additional_github_apps" {
  description = "More GitHub Apps, installed on the same organizations or repositories, to raise the API ceiling: JIT runner configs go round robin across github_app_id and these (GitHub allows about 10,000 runner configs per hour per App). Only github_app_id needs the webhook."
  type        = list(object({ app_id = string, private_key_ssm_parameter_name = string }))
  default     = []

  validation {
    condition     = alltrue([for app in var.additional_github_apps : can(regex("^[0-9]{1,12}$", app.app_id)) && can(regex("^/[a-zA-Z0-9_.\\-/]{1,1000}$", app.private_key_ssm_parameter_name))])
    error_message = "additional_github_apps must be a list of apps with app_id the numeric App ID shown on the GitHub App's settings page and private_key_ssm_parameter_name an SSM parameter name starting with '/'."
  }
}

variable "rerun_github_app_id" {
  description = "Optional second GitHub App used only to re-run jobs failed by a spot interruption (rerun_interrupted_jobs): it holds Actions: write, so the runner App needs no Actions permission (docs/github-app.md). Install it on the same owners. Empty: the runner App re-runs."
  type        = string
  default     = ""

  validation {
    condition     = var.rerun_github_app_id == "" || (can(regex("^[0-9]{1,12}$", var.rerun_github_app_id)))
    error_message = "rerun_github_app_id must be \"\" or the numeric App ID shown on the GitHub App's settings page."
  }
}

variable "rerun_github_app_private_key_ssm_parameter_name" {
  description = "Existing SSM SecureString parameter holding the re-run App's PEM private key, encrypted with the kit's key (only the reconcile function may read it). Set together with rerun_github_app_id."
  type        = string
  default     = ""

  validation {
    condition     = var.rerun_github_app_private_key_ssm_parameter_name == "" || (can(regex("^/[a-zA-Z0-9_.\\-/]{1,1000}$", var.rerun_github_app_private_key_ssm_parameter_name)))
    error_message = "rerun_github_app_private_key_ssm_parameter_name must be \"\" or an SSM parameter name starting with '/'."
  }
}

variable "runner_scope" {
  description = "Register runners per repository (repo), per organization (org) or per enterprise (enterprise, GitHub Enterprise Cloud). The App needs Administration (repo) or Self-hosted runners (org) write permission accordingly; enterprise scope needs enterprise_slug and enterprise_token_ssm_parameter_name (README, section GitHub App set-up)."
  type        = string
  default     = "repo"

  validation {
    condition     = contains(["repo", "org", "enterprise"], var.runner_scope)
    error_message = "runner_scope must be one of \"repo\", \"org\", \"enterprise\"."
  }
}

variable "enterprise_slug" {
  description = "Enterprise scope only (required there, refused otherwise): the enterprise whose runners the kit manages, as in https://github.com/enterprises/SLUG. Runners register at enterprise level in each pool's runner_group_id (an enterprise runner group shared with the organizations that run the jobs)."
  type        = string
  default     = ""

  validation {
    condition     = var.enterprise_slug == "" || (can(regex("^[a-zA-Z0-9][a-zA-Z0-9-]{0,59}$", var.enterprise_slug)))
    error_message = "enterprise_slug must be \"\" or the enterprise's slug as in https://github.com/enterprises/SLUG (letters, digits and hyphens, at most 60)."
  }
}

variable "enterprise_token_ssm_parameter_name" {
  description = "Enterprise scope only (required there, refused otherwise): existing SSM SecureString parameter holding a classic personal access token of an enterprise owner with the manage_runners:enterprise scope, encrypted with the kit's key. GitHub's enterprise runner endpoints refuse GitHub App installation tokens and fine-grained tokens; the App still receives the webhooks and reads jobs."
  type        = string
  default     = ""

  validation {
    condition     = var.enterprise_token_ssm_parameter_name == "" || (can(regex("^/[a-zA-Z0-9_.\\-/]{1,1000}$", var.enterprise_token_ssm_parameter_name)))
    error_message = "enterprise_token_ssm_parameter_name must be \"\" or an SSM parameter name starting with '/'."
  }
}

# ---------- Runners ----------
variable "vpc_id" {
  description = "VPC of the runner subnets."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "vpc_id must be a VPC id of the form vpc-0123456789abcdef0."
  }
}

variable "runner_subnet_ids" {
  description = "Subnets for runner instances, ideally one per availability zone. Runners need outbound access to GitHub (NAT or public IPs)."
  type        = list(string)

  validation {
    condition     = length(var.runner_subnet_ids) > 0 && (alltrue([for item in var.runner_subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", item))]))
    error_message = "runner_subnet_ids must be a non-empty list of subnet ids of the form subnet-0123456789abcdef0."
  }
}

variable "pools" {
  description = "Runner pools by key. A job goes to the first pool (in key order) whose labels contain every label of its runs-on (case-insensitive; self-hosted is implicit)."
  type = map(object({
    labels         = list(string)
    instance_types = optional(list(string), [])
    instance_requirements = optional(object({
      vcpu_min                = number
      vcpu_max                = optional(number)
      memory_mib_min          = number
      memory_mib_max          = optional(number)
      instance_generations    = optional(list(string), ["current"])
      burstable_performance   = optional(string, "excluded")
      allowed_instance_types  = optional(list(string), [])
      excluded_instance_types = optional(list(string), [])
    }))
    max_runners               = optional(number, 10)
    spot                      = optional(bool, true)
    on_demand_fallback        = optional(bool, true)
    architecture              = optional(string, "x64")
    os                        = optional(string, "linux")
    linux_distribution        = optional(string, "al2023")
    ami_ssm_parameter         = optional(string)
    ami_owners                = optional(list(string), [])
    ami_name_filter           = optional(string, "")
    root_volume_size          = optional(number, 40)
    subnet_ids                = optional(list(string))
    runner_group_id           = optional(number, 1)
    warm_pool_size            = optional(number, 0)
    warm_pool_owner           = optional(string, "")
    warm_pool_schedule        = optional(string, "")
    allow_public_repositories = optional(bool, false)
    pre_install_script        = optional(string, "")
    post_install_script       = optional(string, "")
    job_started_hook          = optional(string, "")
    job_completed_hook        = optional(string, "")
    extra_packages            = optional(list(string), [])
    job_environment           = optional(map(string), {})
    extra_security_group_ids  = optional(list(string), [])
    root_volume_type          = optional(string, "gp3")
    root_volume_iops          = optional(number)
    root_volume_throughput    = optional(number)
    extra_volumes = optional(list(object({
      device_name = string
      size        = number
      type        = optional(string, "gp3")
      iops        = optional(number)
      throughput  = optional(number)
    })), [])
    metadata_hop_limit    = optional(number, 2)
    use_instance_store    = optional(bool, false)
    extra_iam_policy_arns = optional(list(string), [])
  }))

  validation {
    condition     = length(var.pools) > 0
    error_message = "pools must be a map of at least one pool."
  }

  validation {
    condition     = alltrue(flatten([for j, later in keys(var.pools) : [for i, earlier in keys(var.pools) : i >= j || length(setsubtract(setunion(["self-hosted"], [for l in var.pools[later].labels : lower(l)]), setunion(["self-hosted"], [for l in var.pools[earlier].labels : lower(l)]))) > 0]]))
    error_message = "Every pool's labels must be labels that are not all offered by an earlier pool (in key order): a job goes to the first pool whose labels contain all of its runs-on labels, so such a pool could never receive one."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : can(regex("^[a-z0-9][a-z0-9-]{0,19}$", k))])
    error_message = "Every pool key must be 1-20 characters: lowercase letters, digits and hyphens, starting with a letter or digit."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : length(p.labels) > 0 && (alltrue([for item in p.labels : can(regex("^[A-Za-z0-9._-]{1,100}$", item))]))])
    error_message = "Every pool's labels must be a non-empty list of labels of 1-100 characters: letters, digits, '.', '_' and '-'."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : alltrue([for item in p.instance_types : can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", item))])])
    error_message = "Every pool's instance_types must be EC2 instance type names such as m7i.large or c7g.2xlarge."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : (length(p.instance_types) > 0) != (p.instance_requirements != null)])
    error_message = "Every pool's instance_types must be a non-empty list (and then no instance_requirements), or empty when instance_requirements is set: a pool selects its types by list or by attributes, exactly one of the two."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : p.instance_requirements == null ? true : (p.instance_requirements.vcpu_min >= 1 && p.instance_requirements.vcpu_min <= 1024 && floor(p.instance_requirements.vcpu_min) == p.instance_requirements.vcpu_min)])
    error_message = "Every pool's instance_requirements.vcpu_min must be a whole number from 1 to 1024."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : p.instance_requirements == null ? true : (p.instance_requirements.vcpu_max == null ? true : (p.instance_requirements.vcpu_max >= p.instance_requirements.vcpu_min && p.instance_requirements.vcpu_max <= 1024 && floor(p.instance_requirements.vcpu_max) == p.instance_requirements.vcpu_max))])
    error_message = "Every pool's instance_requirements.vcpu_max must be null (no bound) or a whole number from vcpu_min to 1024."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : p.instance_requirements == null ? true : (p.instance_requirements.memory_mib_min >= 512 && p.instance_requirements.memory_mib_min <= 33554432 && floor(p.instance_requirements.memory_mib_min) == p.instance_requirements.memory_mib_min)])
    error_message = "Every pool's instance_requirements.memory_mib_min must be a whole number from 512 to 33554432 MiB."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : p.instance_requirements == null ? true : (p.instance_requirements.memory_mib_max == null ? true : (p.instance_requirements.memory_mib_max >= p.instance_requirements.memory_mib_min && p.instance_requirements.memory_mib_max <= 33554432 && floor(p.instance_requirements.memory_mib_max) == p.instance_requirements.memory_mib_max))])
    error_message = "Every pool's instance_requirements.memory_mib_max must be null (no bound) or a whole number from memory_mib_min to 33554432 MiB."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : p.instance_requirements == null ? true : (length(p.instance_requirements.instance_generations) > 0 && (alltrue([for item in p.instance_requirements.instance_generations : contains(["current", "previous"], item)])))])
    error_message = "Every pool's instance_requirements.instance_generations must be a non-empty list of \"current\" or \"previous\"."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : p.instance_requirements == null ? true : (contains(["included", "excluded", "required"], p.instance_requirements.burstable_performance))])
    error_message = "Every pool's instance_requirements.burstable_performance must be one of \"included\", \"excluded\", \"required\"."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : p.instance_requirements == null ? true : (alltrue([for item in p.instance_requirements.allowed_instance_types : can(regex("^[a-z0-9*][a-z0-9*-]*(\\.[a-z0-9*-]+)?$", item))]))])
    error_message = "Every pool's instance_requirements.allowed_instance_types must be EC2 instance types or patterns with * wildcards (m7i.large, m7*.*, c*)."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : p.instance_requirements == null ? true : (alltrue([for item in p.instance_requirements.excluded_instance_types : can(regex("^[a-z0-9*][a-z0-9*-]*(\\.[a-z0-9*-]+)?$", item))]))])
    error_message = "Every pool's instance_requirements.excluded_instance_types must be EC2 instance types or patterns with * wildcards (m7i.large, m7*.*, c*)."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : p.instance_requirements == null ? true : (length(p.instance_requirements.allowed_instance_types) == 0 || length(p.instance_requirements.excluded_instance_types) == 0)])
    error_message = "Every pool's instance_requirements.allowed_instance_types must be empty when excluded_instance_types is set (EC2 accepts only one of the two)."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : p.max_runners >= 1 && p.max_runners <= 10000 && floor(p.max_runners) == p.max_runners])
    error_message = "Every pool's max_runners must be a whole number from 1 to 10000."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : contains(["x64", "arm64"], p.architecture)])
    error_message = "Every pool's architecture must be \"x64\" or \"arm64\"."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : alltrue([for t in p.instance_types : can(regex("^([a-z]+[0-9]+[a-z]*g[a-z]*(-[a-z0-9]+)?|a1)\\.[a-z0-9]+$", t)) == (p.architecture == "arm64")])])
    error_message = "Every pool's instance_types must be Graviton types (a g after the generation digit, such as m7g, c6gn, t4g, r8g, or a1) for architecture \"arm64\" and only other types for \"x64\"."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : p.root_volume_size >= 8 && p.root_volume_size <= 16384 && floor(p.root_volume_size) == p.root_volume_size])
    error_message = "Every pool's root_volume_size must be a whole number from 8 to 16384 GiB."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : alltrue([for item in(p.subnet_ids == null ? [] : p.subnet_ids) : can(regex("^subnet-[0-9a-f]{8,17}$", item))])])
    error_message = "Every pool's subnet_ids must be subnet ids of the form subnet-0123456789abcdef0."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : p.runner_group_id >= 1 && p.runner_group_id <= 9007199254740991 && floor(p.runner_group_id) == p.runner_group_id])
    error_message = "Every pool's runner_group_id must be a whole number from 1 to 9007199254740991."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : p.warm_pool_size >= 0 && p.warm_pool_size <= 1000 && floor(p.warm_pool_size) == p.warm_pool_size])
    error_message = "Every pool's warm_pool_size must be a whole number from 0 to 1000."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : p.warm_pool_size == 0 || length(p.warm_pool_owner) > 0])
    error_message = "Every pool's warm_pool_owner must be an organization (org scope) or owner/repo (repo scope) when warm_pool_size > 0."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : can(regex("^([ \\t\\n\\v\\f\\r]*|[ \\t\\n\\v\\f\\r]*(\\*|([Ss][Uu][Nn]|[Mm][Oo][Nn]|[Tt][Uu][Ee]|[Ww][Ee][Dd]|[Tt][Hh][Uu]|[Ff][Rr][Ii]|[Ss][Aa][Tt])(-([Ss][Uu][Nn]|[Mm][Oo][Nn]|[Tt][Uu][Ee]|[Ww][Ee][Dd]|[Tt][Hh][Uu]|[Ff][Rr][Ii]|[Ss][Aa][Tt]))?(,([Ss][Uu][Nn]|[Mm][Oo][Nn]|[Tt][Uu][Ee]|[Ww][Ee][Dd]|[Tt][Hh][Uu]|[Ff][Rr][Ii]|[Ss][Aa][Tt])(-([Ss][Uu][Nn]|[Mm][Oo][Nn]|[Tt][Uu][Ee]|[Ww][Ee][Dd]|[Tt][Hh][Uu]|[Ff][Rr][Ii]|[Ss][Aa][Tt]))?)*)[ \\t\\n\\v\\f\\r]+(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)-(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)[ \\t\\n\\v\\f\\r]*(;[ \\t\\n\\v\\f\\r]*(\\*|([Ss][Uu][Nn]|[Mm][Oo][Nn]|[Tt][Uu][Ee]|[Ww][Ee][Dd]|[Tt][Hh][Uu]|[Ff][Rr][Ii]|[Ss][Aa][Tt])(-([Ss][Uu][Nn]|[Mm][Oo][Nn]|[Tt][Uu][Ee]|[Ww][Ee][Dd]|[Tt][Hh][Uu]|[Ff][Rr][Ii]|[Ss][Aa][Tt]))?(,([Ss][Uu][Nn]|[Mm][Oo][Nn]|[Tt][Uu][Ee]|[Ww][Ee][Dd]|[Tt][Hh][Uu]|[Ff][Rr][Ii]|[Ss][Aa][Tt])(-([Ss][Uu][Nn]|[Mm][Oo][Nn]|[Tt][Uu][Ee]|[Ww][Ee][Dd]|[Tt][Hh][Uu]|[Ff][Rr][Ii]|[Ss][Aa][Tt]))?)*)[ \\t\\n\\v\\f\\r]+(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)-(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)[ \\t\\n\\v\\f\\r]*)*)$", p.warm_pool_schedule))])
    error_message = "Every pool's warm_pool_schedule must be empty (always) or UTC windows \"<days> HH:MM-HH:MM\" separated by \";\", e.g. \"Mon-Fri 07:00-19:00\" (days: *, Sun..Sat, ranges such as Mon-Fri, lists such as Sat,Sun; times 00:00 to 23:59 or 24:00)."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : length(p.pre_install_script) <= 65536])
    error_message = "Every pool's pre_install_script must be a script of at most 65536 characters."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : length(p.post_install_script) <= 65536])
    error_message = "Every pool's post_install_script must be a script of at most 65536 characters."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : length(p.job_started_hook) <= 65536])
    error_message = "Every pool's job_started_hook must be a script of at most 65536 characters."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : length(p.job_completed_hook) <= 65536])
    error_message = "Every pool's job_completed_hook must be a script of at most 65536 characters."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : alltrue([for item in p.extra_packages : can(regex("^[A-Za-z0-9][A-Za-z0-9.+_:~-]*$", item))])])
    error_message = "Every pool's extra_packages must be package names of letters, digits and .+_:~- (no spaces or shell characters)."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : alltrue([for k, item in p.job_environment : (can(regex("^[A-Za-z_][A-Za-z0-9_]*$", k))) && (can(regex("^[^\\n\\r]*$", item)))])])
    error_message = "Every pool's job_environment must be a map of a variable name of letters, digits and _ (not starting with a digit) to a single line."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : length(p.extra_security_group_ids) <= 4 && alltrue([for item in p.extra_security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", item))])])
    error_message = "Every pool's extra_security_group_ids must be at most 4 security group ids of the form sg-0123456789abcdef0 (an interface takes 5 groups, the kit's own included)."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : contains(["gp3", "gp2", "io1", "io2"], p.root_volume_type)])
    error_message = "Every pool's root_volume_type must be one of \"gp3\", \"gp2\", \"io1\", \"io2\"."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : p.root_volume_iops == null ? true : (p.root_volume_iops >= 100 && p.root_volume_iops <= 256000 && floor(p.root_volume_iops) == p.root_volume_iops)])
    error_message = "Every pool's root_volume_iops must be null or a whole number from 100 to 256000."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : p.root_volume_throughput == null ? true : (p.root_volume_throughput >= 125 && p.root_volume_throughput <= 2000 && floor(p.root_volume_throughput) == p.root_volume_throughput)])
    error_message = "Every pool's root_volume_throughput must be null or a whole number from 125 to 2000 MiB/s (gp3 only)."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : length(p.extra_volumes) <= 10 && alltrue([for v in p.extra_volumes : can(regex("^/dev/(sd|xvd)[b-z]$", v.device_name)) && (v.size >= 1 && v.size <= 16384 && floor(v.size) == v.size) && contains(["gp3", "gp2", "io1", "io2", "st1", "sc1"], v.type) && (v.iops == null ? true : (v.iops >= 100 && v.iops <= 256000 && floor(v.iops) == v.iops)) && (v.throughput == null ? true : (v.throughput >= 125 && v.throughput <= 2000 && floor(v.throughput) == v.throughput))])])
    error_message = "Every pool's extra_volumes must be at most 10 volumes, each with a device_name /dev/(sd|xvd)[b-z] (not the root), a size from 1 to 16384 GiB, a type among gp3, gp2, io1, io2, st1, sc1, iops 100-256000 or null, throughput 125-2000 or null."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : p.metadata_hop_limit >= 1 && p.metadata_hop_limit <= 64 && floor(p.metadata_hop_limit) == p.metadata_hop_limit])
    error_message = "Every pool's metadata_hop_limit must be a whole number from 1 to 64."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : length(p.extra_iam_policy_arns) <= 10 && (alltrue([for item in p.extra_iam_policy_arns : can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/[A-Za-z0-9+=,.@_/-]{1,512}$", item))]))])
    error_message = "Every pool's extra_iam_policy_arns must be at most 10 IAM managed policy ARNs (IAM's default quota of managed policies per role), each of the form arn:aws:iam::<account>:policy/<name> or arn:aws:iam::aws:policy/<name>."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : contains(["linux", "windows"], p.os)])
    error_message = "Every pool's os must be \"linux\" or \"windows\"."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : contains(["al2023", "ubuntu-22.04", "ubuntu-24.04"], p.linux_distribution)])
    error_message = "Every pool's linux_distribution must be one of \"al2023\", \"ubuntu-22.04\", \"ubuntu-24.04\"."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : p.os != "windows" || p.architecture == "x64"])
    error_message = "Every pool's architecture must be \"x64\" for Windows pools (there is no Windows Server AMI for Graviton)."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : alltrue([for item in p.ami_owners : can(regex("^(self|amazon|aws-marketplace|[0-9]{12})$", item))])])
    error_message = "Every pool's ami_owners must be account ids (12 digits), self, amazon or aws-marketplace."
  }

  validation {
    condition     = alltrue([for k, p in var.pools : p.ami_name_filter == "" || (length(p.ami_owners) > 0 && p.ami_ssm_parameter == null)])
    error_message = "Every pool's ami_name_filter must be set together with ami_owners (the accounts whose images it searches), and not together with ami_ssm_parameter."
  }
}

variable "runner_version" {
  description = "Actions runner version the runner binaries syncer copies into the kit's bucket, which runners install from at boot (and which replaces a runner baked into the AMI that GitHub would refuse). GitHub requires >= 2.329.0 to register and each release within 30 days, hence \"latest\"."
  type        = string
  default     = "latest"

  validation {
    condition     = can(regex("^(latest|2\\.(329|3[3-9][0-9]|[4-9][0-9]{2})\\.[0-9]+|[3-9]\\.[0-9]+\\.[0-9]+)$", var.runner_version))
    error_message = "runner_version must be \"latest\" or a runner version >= 2.329.0 (GitHub refuses to register older runners)."
  }
}

variable "runner_binaries_sync_schedule" {
  description = "EventBridge schedule of the function that copies the runner release from GitHub (github_api_url) into the runner binaries bucket, with a conditional request: rate(N minutes|hours|days) or cron(...). It also runs once during apply."
  type        = string
  default     = "rate(1 hour)"

  validation {
    condition     = can(regex("^(rate\\([0-9]+ (minute|minutes|hour|hours|day|days)\\)|cron\\(.+\\))$", var.runner_binaries_sync_schedule))
    error_message = "runner_binaries_sync_schedule must be rate(N minutes|hours|days) or cron(...)."
  }
}

variable "aws_cli_internet_fallback" {
  description = "Let an Ubuntu runner whose AMI has no AWS CLI download it from awscli.amazonaws.com (the internet, through NAT) when the kit's bucket has no signature-checked copy for its architecture. Off: such a runner fails its boot (registration_failed, \"AWS CLI not installed\") rather than reach the internet."
  type        = bool
  default     = false
}

variable "runner_idle_timeout_minutes" {
  description = "Minutes after boot at which a runner that has started no job shuts down (and terminates)."
  type        = number
  default     = 30

  validation {
    condition     = var.runner_idle_timeout_minutes >= 5 && var.runner_idle_timeout_minutes <= 1440 && floor(var.runner_idle_timeout_minutes) == var.runner_idle_timeout_minutes
    error_message = "runner_idle_timeout_minutes must be a whole number from 5 to 1440."
  }
}

variable "runner_boot_timeout_seconds" {
  description = "Seconds an instance may take to boot and register; the reconciler terminates instances without a registration after that."
  type        = number
  default     = 600

  validation {
    condition     = var.runner_boot_timeout_seconds >= 60 && var.runner_boot_timeout_seconds <= 3600 && floor(var.runner_boot_timeout_seconds) == var.runner_boot_timeout_seconds
    error_message = "runner_boot_timeout_seconds must be a whole number from 60 to 3600."
  }
}

variable "associate_public_ip_address" {
  description = "Give runners public IP addresses (only for public subnets without NAT)."
  type        = bool
  default     = false
}

variable "enable_ssm_sessions" {
  description = "Let operators open Session Manager shells on runners: a Session-Manager-only policy (ssmmessages channels, ssm:UpdateInstanceInformation), never AmazonSSMManagedInstanceCore (which reads every SSM parameter)."
  type        = bool
  default     = false
}

variable "enable_runner_logs" {
  description = "Ship each runner's bootstrap log, runner _diag logs and job marks to the log group /self-runners/<prefix>/runners (retention log_retention_days, the kit's KMS key when set) with the CloudWatch agent, where the AMI has its package (Amazon Linux 2023); publish BootToRegistration and RegistrationFailures from the marks. A runner whose agent cannot start runs without it."
  type        = bool
  default     = true
}

# ---------- Runner images ----------
variable "runner_images" {
  description = "Baked runner images by key: an EC2 Image Builder pipeline per image builds an AMI on parent_image_ssm_parameter (default Amazon Linux 2023 for the architecture) with the runner from the kit's bucket, Docker, the CloudWatch agent, extra_packages, prepull_images pulled into Docker and user_script (no secrets), on schedule (cron) and on demand, and publishes the AMI id to the SSM parameter /<prefix>/runner-images/<key> for pools to use as their AMI parameter (docs/runner-images.md). Empty: no pipeline."
  type = map(object({
    parent_image_ssm_parameter = optional(string)
    architecture               = optional(string, "x64")
    instance_types             = optional(list(string))
    docker                     = optional(bool, true)
    cloudwatch_agent           = optional(bool, true)
    extra_packages             = optional(list(string), [])
    prepull_images             = optional(list(string), [])
    user_script                = optional(string, "")
    schedule                   = optional(string, "cron(0 4 ? * MON *)")
    root_volume_size           = optional(number, 30)
  }))
  default = {}

  validation {
    condition     = alltrue([for k in keys(var.runner_images) : can(regex("^[a-z0-9][a-z0-9-]{0,31}$", k))])
    error_message = "runner_images must have keys of 1 to 32 lowercase letters, digits and hyphens."
  }

  validation {
    condition     = alltrue([for k, img in var.runner_images : img.docker || length(img.prepull_images) == 0])
    error_message = "runner_images: every image's prepull_images must be empty unless docker is true (images are pulled into Docker's store)."
  }

  validation {
    condition     = alltrue([for k, img in var.runner_images : img.parent_image_ssm_parameter == null ? true : (can(regex("^/[a-zA-Z0-9_.\\-/]{1,1000}$", img.parent_image_ssm_parameter)))])
    error_message = "runner_images: every image's parent_image_ssm_parameter must be an SSM parameter name starting with '/'."
  }

  validation {
    condition     = alltrue([for k, img in var.runner_images : img.architecture == null ? true : (contains(["x64", "arm64"], img.architecture))])
    error_message = "runner_images: every image's architecture must be \"x64\" or \"arm64\"."
  }

  validation {
    condition     = alltrue([for k, img in var.runner_images : img.instance_types == null ? true : (length(img.instance_types) > 0 && (alltrue([for item in img.instance_types : can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", item))])))])
    error_message = "runner_images: every image's instance_types must be a non-empty list of EC2 instance type names such as m7i.large or c7g.2xlarge."
  }

  validation {
    condition     = alltrue([for k, img in var.runner_images : img.extra_packages == null ? true : (alltrue([for item in img.extra_packages : can(regex("^[A-Za-z0-9][A-Za-z0-9._+:-]{0,127}$", item))]))])
    error_message = "runner_images: every image's extra_packages must be package names (letters, digits and . _ + : -)."
  }

  validation {
    condition     = alltrue([for k, img in var.runner_images : img.prepull_images == null ? true : (alltrue([for item in img.prepull_images : can(regex("^[a-z0-9][a-z0-9._/:@-]{0,254}$", item))]))])
    error_message = "runner_images: every image's prepull_images must be container image references such as public.ecr.aws/docker/library/node:22 (lowercase letters, digits and . _ / : @ -)."
  }

  validation {
    condition     = alltrue([for k, img in var.runner_images : img.schedule == null ? true : (can(regex("^cron\\(.+\\)$", img.schedule)))])
    error_message = "runner_images: every image's schedule must be cron(...) expressions (Image Builder schedules take cron only)."
  }

  validation {
    condition     = alltrue([for k, img in var.runner_images : img.root_volume_size == null ? true : (img.root_volume_size >= 8 && img.root_volume_size <= 16384 && floor(img.root_volume_size) == img.root_volume_size)])
    error_message = "runner_images: every image's root_volume_size must be a whole number from 8 to 16384 GiB."
  }
}

# ---------- Encryption ----------
variable "create_kms_key" {
  description = "Create a customer managed KMS key (yearly rotation) for the job queues, the tables, the SSM parameters the module creates, every log group and the functions' environment; only the module's roles and kms_key_administrator_arns may use it (see docs/security.md). Ignored when kms_key_arn names a key; false and an empty kms_key_arn keep AWS-managed encryption."
  type        = bool
  default     = true
}

variable "kms_key_administrator_arns" {
  description = "IAM role or user ARNs that may use the created key besides the module's roles (the account keeps administering it through IAM). Include the principal that runs Terraform: it creates the encrypted resources and refreshes the parameters. Empty: the IAM role or user running Terraform."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for item in var.kms_key_administrator_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[A-Za-z0-9+=,.@_/-]{1,512}$", item))])
    error_message = "kms_key_administrator_arns must be an IAM role or user ARN of the form arn:aws:iam::<account>:role/<name> (not an assumed-role session)."
  }
}

variable "kms_key_arn" {
  description = "ARN of an existing customer managed KMS key to use for the same resources as create_kms_key instead of creating one (its key policy must let CloudWatch Logs and the module's roles use it; see docs/security.md)."
  type        = string
  default     = ""

  validation {
    condition     = var.kms_key_arn == "" || (can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$", var.kms_key_arn)))
    error_message = "kms_key_arn must be \"\" or a KMS key ARN of the form arn:aws:kms:<region>:<account>:key/<key id> (not an alias)."
  }
}

# ---------- IAM ----------
variable "permissions_boundary_arn" {
  description = "Managed policy set as the permissions boundary of every IAM role the kit creates (functions, runners, NAT instances, NAT failover, API Gateway logging, CloudTrail delivery). Empty: no boundary."
  type        = string
  default     = ""

  validation {
    condition     = var.permissions_boundary_arn == "" || (can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/[A-Za-z0-9+=,.@_/-]{1,512}$", var.permissions_boundary_arn)))
    error_message = "permissions_boundary_arn must be \"\" or an IAM managed policy ARN of the form arn:aws:iam::<account>:policy/<name>."
  }
}

variable "iam_role_path" {
  description = "Path of every IAM role and instance profile the kit creates; the kit's policies that name its roles by ARN include it."
  type        = string
  default     = "/"

  validation {
    condition     = can(regex("^/([A-Za-z0-9+=,.@_-]+/){0,25}$", var.iam_role_path))
    error_message = "iam_role_path must be an IAM path that begins and ends with / (such as / or /ci/runners/), names of letters, digits and +=,.@_-."
  }
}

# ---------- Functions ----------
variable "lambda_subnet_ids" {
  description = "Subnets for the Lambda functions. Empty keeps them outside any VPC; when set, they need a route to GitHub and the AWS APIs."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for item in var.lambda_subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", item))])
    error_message = "lambda_subnet_ids must be subnet ids of the form subnet-0123456789abcdef0."
  }
}

variable "lambda_security_group_ids" {
  description = "Security groups for the Lambda functions when lambda_subnet_ids is set."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for item in var.lambda_security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", item))])
    error_message = "lambda_security_group_ids must be security group ids of the form sg-0123456789abcdef0."
  }
}

variable "log_retention_days" {
  description = "Retention of every log group the module creates, in days."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "enable_tracing" {
  description = "X-Ray active tracing on every function, with their AWS SDK calls as subsegments (Powertools Tracer), and the X-Ray write permissions. Off by default: X-Ray bills per trace recorded and retrieved beyond its free tier (see docs/operations.md, Tracing)."
  type        = bool
  default     = false
}

variable "webhook_reserved_concurrency" {
  description = "Reserved concurrency of the webhook function; -1 leaves it unreserved."
  type        = number
  default     = -1

  validation {
    condition     = var.webhook_reserved_concurrency == -1 || (var.webhook_reserved_concurrency >= 1 && floor(var.webhook_reserved_concurrency) == var.webhook_reserved_concurrency)
    error_message = "webhook_reserved_concurrency must be -1 (unreserved) or a whole number of at least 1 (0 would keep the function from ever running)."
  }
}

variable "scale_up_reserved_concurrency" {
  description = "Reserved concurrency of the scale-up function; -1 leaves it unreserved."
  type        = number
  default     = -1

  validation {
    condition     = var.scale_up_reserved_concurrency == -1 || (var.scale_up_reserved_concurrency >= 1 && floor(var.scale_up_reserved_concurrency) == var.scale_up_reserved_concurrency)
    error_message = "scale_up_reserved_concurrency must be -1 (unreserved) or a whole number of at least 1 (0 would keep the function from ever running)."
  }
}

variable "reconcile_reserved_concurrency" {
  description = "Reserved concurrency of the reconcile function; -1 leaves it unreserved."
  type        = number
  default     = 1

  validation {
    condition     = var.reconcile_reserved_concurrency == -1 || (var.reconcile_reserved_concurrency >= 1 && floor(var.reconcile_reserved_concurrency) == var.reconcile_reserved_concurrency)
    error_message = "reconcile_reserved_concurrency must be -1 (unreserved) or a whole number of at least 1 (0 would keep the function from ever running)."
  }
}

# ---------- Webhook API ----------
variable "api_throttling_rate_limit" {
  description = "Steady-state requests per second the webhook stage accepts before answering 429. GitHub does not redeliver a delivery that got 429; the default takes the 3,000 deliveries of a 1,000-job matrix within GitHub's 10 s answer deadline (docs/waf.md)."
  type        = number
  default     = 300

  validation {
    condition     = var.api_throttling_rate_limit >= 1 && var.api_throttling_rate_limit <= 10000
    error_message = "api_throttling_rate_limit must be a number from 1 to 10000."
  }
}

variable "api_throttling_burst_limit" {
  description = "Burst of requests the webhook stage accepts; the default takes the queued deliveries of a 1,000-job matrix at once."
  type        = number
  default     = 1000

  validation {
    condition     = var.api_throttling_burst_limit >= 1 && var.api_throttling_burst_limit <= 5000
    error_message = "api_throttling_burst_limit must be a number from 1 to 5000."
  }
}

variable "manage_api_gateway_account" {
  description = "Create the regional API Gateway account setting with a CloudWatch Logs role. Access logs need it once per account and region; leave false where it exists."
  type        = bool
  default     = false
}

variable "webhook_max_body_bytes" {
  description = "Largest webhook body accepted, in bytes; larger requests get 413."
  type        = number
  default     = 262144

  validation {
    condition     = var.webhook_max_body_bytes >= 1024 && var.webhook_max_body_bytes <= 10485760 && floor(var.webhook_max_body_bytes) == var.webhook_max_body_bytes
    error_message = "webhook_max_body_bytes must be a whole number from 1024 to 10485760 (API Gateway's 10 MiB limit)."
  }
}

# ---------- Admission ----------
variable "allowed_owners" {
  description = "Organizations and users whose jobs may get a runner (case-insensitive). Empty: any owner the GitHub App is installed on, so anyone who can install the App gets runners; set it whenever the App is public or installable by others."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for item in var.allowed_owners : can(regex("^[A-Za-z0-9][A-Za-z0-9-]{0,38}$", item))])
    error_message = "allowed_owners must be a GitHub organization or user login (letters, digits, inner hyphens, at most 39 characters)."
  }
}

variable "allowed_repositories" {
  description = "Repositories (owner/repo, case-insensitive) whose jobs may get a runner, checked in addition to allowed_owners. Empty: any repository of an allowed owner."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for item in var.allowed_repositories : can(regex("^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$", item))])
    error_message = "allowed_repositories must be owner/repo with a GitHub login and a repository name of letters, digits, '.', '_' or '-'."
  }
}

variable "webhook_max_job_age_seconds" {
  description = "A queued delivery whose workflow_job.created_at is older than this is refused (202, nothing queued, DeliveriesRefused with Reason stale): the webhook signature does not cover X-GitHub-Delivery, so a captured delivery could otherwise be replayed to start runners. At most a day, the time the job ledger keeps finished jobs, so a replay young enough to pass still finds its ended job."
  type        = number
  default     = 3600

  validation {
    condition     = var.webhook_max_job_age_seconds >= 60 && var.webhook_max_job_age_seconds <= 86400 && floor(var.webhook_max_job_age_seconds) == var.webhook_max_job_age_seconds
    error_message = "webhook_max_job_age_seconds must be a whole number from 60 to 86400 (finished jobs stay 86400 s in the job ledger)."
  }
}

# ---------- Control plane ----------
variable "draining" {
  description = "Initial state of the draining switch, the /<prefix>/draining SSM parameter: true pauses launches (webhooks are still accepted and jobs stay queued). Terraform sets it only when it creates the parameter; afterwards operators flip the parameter at run time (aws ssm put-parameter --overwrite) and their value wins, so changing this variable later has no effect."
  type        = bool
  default     = false
}

variable "max_runners_total" {
  description = "Most runners of all pools together. A job over the limit waits on its queue (back-off with jitter), it is not failed."
  type        = number
  default     = 1000

  validation {
    condition     = var.max_runners_total >= 1 && var.max_runners_total <= 100000 && floor(var.max_runners_total) == var.max_runners_total
    error_message = "max_runners_total must be a whole number from 1 to 100000."
  }
}

variable "max_runners_per_owner" {
  description = "Most runners of one organization (org scope) or repository (repo scope) across pools; over it, jobs wait."
  type        = number
  default     = 1000

  validation {
    condition     = var.max_runners_per_owner >= 1 && var.max_runners_per_owner <= 100000 && floor(var.max_runners_per_owner) == var.max_runners_per_owner
    error_message = "max_runners_per_owner must be a whole number from 1 to 100000."
  }
}

variable "job_max_age_seconds" {
  description = "A job still waiting for a runner after this many seconds is reported (log, metric), marked failed in the ledger and moved to its pool's dead-letter queue with the reason."
  type        = number
  default     = 21600

  validation {
    condition     = var.job_max_age_seconds >= 300 && var.job_max_age_seconds <= 86400 && floor(var.job_max_age_seconds) == var.job_max_age_seconds
    error_message = "job_max_age_seconds must be a whole number from 300 to 86400 (GitHub drops jobs queued for 24 hours)."
  }
}

variable "job_wait_max_seconds" {
  description = "Longest back-off between two tries of a waiting job (draining, limits, GitHub budget, EC2 capacity)."
  type        = number
  default     = 900

  validation {
    condition     = var.job_wait_max_seconds >= 30 && var.job_wait_max_seconds <= 3600 && floor(var.job_wait_max_seconds) == var.job_wait_max_seconds
    error_message = "job_wait_max_seconds must be a whole number from 30 to 3600."
  }
}

variable "github_min_remaining_requests" {
  description = "GitHub API requests kept in reserve per App installation. Below it, launches slow down (jobs wait for the budget reset) instead of failing."
  type        = number
  default     = 200

  validation {
    condition     = var.github_min_remaining_requests >= 1 && var.github_min_remaining_requests <= 100000 && floor(var.github_min_remaining_requests) == var.github_min_remaining_requests
    error_message = "github_min_remaining_requests must be a whole number from 1 to 100000."
  }
}

variable "github_writes_per_minute" {
  description = "GitHub writes (runner JIT configurations) per minute per App, shared by every scale-up environment through the write governor in the ledger table (docs/performance.md). GitHub allows 900 points a minute per REST endpoint and a POST costs 5, so 180; the default keeps a margin for the App's other writes. Several Apps (additional_github_apps) multiply it."
  type        = number
  default     = 150

  validation {
    condition     = var.github_writes_per_minute >= 1 && var.github_writes_per_minute <= 160 && floor(var.github_writes_per_minute) == var.github_writes_per_minute
    error_message = "github_writes_per_minute must be a whole number from 1 to 160 (with the largest github_write_burst, 10, the fleet then sends at most 177 writes in any 60 s, turns used late included, under the 180 that GitHub's 900 points a minute allow at 5 points a POST)."
  }
}

variable "github_write_burst" {
  description = "Most GitHub writes an App may make at once after a quiet period (one SQS batch at the default): the size of the write governor's bucket. In any 60 s the fleet sends at most github_writes_per_minute + github_write_burst writes per App, plus the turns of jobs back late (3/4 of what is left under GitHub's 180; 175 in all at the defaults, docs/performance.md)."
  type        = number
  default     = 10

  validation {
    condition     = var.github_write_burst >= 1 && var.github_write_burst <= 10 && floor(var.github_write_burst) == var.github_write_burst
    error_message = "github_write_burst must be a whole number from 1 to 10 (with github_writes_per_minute at most 160, at most 177 writes in any 60 s, turns used late included, under the 180 that GitHub's 900 points a minute allow at 5 points a POST)."
  }
}

variable "busy_confirm_seconds" {
  description = "A runner must look idle for this long (two reconciler sightings at least this far apart) before it is stopped: GitHub's busy flag lags a job start by up to a minute."
  type        = number
  default     = 90

  validation {
    condition     = var.busy_confirm_seconds >= 60 && var.busy_confirm_seconds <= 3600 && floor(var.busy_confirm_seconds) == var.busy_confirm_seconds
    error_message = "busy_confirm_seconds must be a whole number from 60 to 3600 (GitHub's busy flag lags up to a minute)."
  }
}

variable "relaunch_grace_seconds" {
  description = "Seconds after launch before the reconciler relaunches a job whose runner is gone or took another job, if GitHub still has the job queued."
  type        = number
  default     = 300

  validation {
    condition     = var.relaunch_grace_seconds >= 60 && var.relaunch_grace_seconds <= 86400 && floor(var.relaunch_grace_seconds) == var.relaunch_grace_seconds
    error_message = "relaunch_grace_seconds must be a whole number from 60 to 86400."
  }
}

variable "webhook_healer_max_github_calls" {
  description = "GitHub requests the webhook healer may make per reconcile round (docs/healer.md): it redelivers failed workflow_job deliveries and queues jobs GitHub reports queued whose delivery never arrived. With the default schedule (5 minutes) and 30, at most 360 an hour. 0 turns the healer off."
  type        = number
  default     = 30

  validation {
    condition     = var.webhook_healer_max_github_calls >= 0 && var.webhook_healer_max_github_calls <= 1000 && floor(var.webhook_healer_max_github_calls) == var.webhook_healer_max_github_calls
    error_message = "webhook_healer_max_github_calls must be a whole number from 0 to 1000."
  }
}

variable "rerun_interrupted_jobs" {
  description = "Re-run jobs that failed because their spot runner was reclaimed (spot interruption warning seen)."
  type        = bool
  default     = true
}

variable "reconcile_schedule_expression" {
  description = "EventBridge schedule of the reconciler."
  type        = string
  default     = "rate(5 minutes)"

  validation {
    condition     = can(regex("^(rate\\([0-9]+ (minute|minutes|hour|hours)\\)|cron\\(.+\\))$", var.reconcile_schedule_expression))
    error_message = "reconcile_schedule_expression must be rate(N minutes|hours) or cron(...)."
  }
}

variable "runners_table_point_in_time_recovery" {
  description = "Enable point-in-time recovery on the runners table."
  type        = bool
  default     = false
}

variable "job_ledger_point_in_time_recovery" {
  description = "Enable point-in-time recovery on the job ledger table."
  type        = bool
  default     = false
}

# ---------- WAF ----------
variable "enable_waf" {
  description = "Put a WAFv2 web ACL in front of the webhook stage: per-IP rate limit, AWS managed IP reputation, known bad inputs, core and SQL injection rules (body rules count only), logged to CloudWatch Logs aws-waf-logs-<prefix>."
  type        = bool
  default     = true
}

variable "waf_rate_limit" {
  description = "Requests one source IP may send per waf_rate_limit_window_seconds before WAF blocks it. GitHub delivers an organization's webhooks from a handful of addresses and every job sends three (queued, in_progress, completed), so a 1,000-job burst is about 3,000 requests, possibly from one address: the default leaves more than three times that. GitHub's own addresses are limited too (anyone can send from them with a webhook of their own)."
  type        = number
  default     = 10000

  validation {
    condition     = var.waf_rate_limit >= 100 && var.waf_rate_limit <= 2000000000 && floor(var.waf_rate_limit) == var.waf_rate_limit
    error_message = "waf_rate_limit must be a whole number from 100 to 2000000000."
  }
}

variable "waf_rate_limit_window_seconds" {
  description = "Evaluation window of waf_rate_limit, in seconds: one of 60, 120, 300, 600."
  type        = number
  default     = 300

  validation {
    condition     = contains([60, 120, 300, 600], var.waf_rate_limit_window_seconds)
    error_message = "waf_rate_limit_window_seconds must be one of 60, 120, 300, 600."
  }
}

variable "waf_github_hooks_allowlist" {
  description = "Block every source address outside GitHub's webhook ranges (hooks of GET /meta at github_api_url). A scheduled function keeps two IP sets up to date and fills them during apply; it refuses empty or invalid lists, keeping the previous ranges. Needs enable_waf."
  type        = bool
  default     = false
}

variable "waf_ip_set_refresh_schedule" {
  description = "EventBridge schedule of the function that refreshes the allowlist's IP sets from GitHub: rate(N minutes|hours|days) or cron(...)."
  type        = string
  default     = "rate(1 hour)"

  validation {
    condition     = can(regex("^(rate\\([0-9]+ (minute|minutes|hour|hours|day|days)\\)|cron\\(.+\\))$", var.waf_ip_set_refresh_schedule))
    error_message = "waf_ip_set_refresh_schedule must be rate(N minutes|hours|days) or cron(...)."
  }
}

# ---------- Audit trail ----------
variable "enable_cloudtrail" {
  description = "Create a CloudTrail trail recording every management event (read and write) into a KMS-encrypted, versioned, TLS-only S3 bucket. Ignored when existing_cloudtrail_arn is set."
  type        = bool
  default     = true
}

variable "existing_cloudtrail_arn" {
  description = "ARN of a trail that already records this account (an organization trail, say). When set, the module creates no trail, bucket or key and outputs this ARN as cloudtrail_arn."
  type        = string
  default     = ""

  validation {
    condition     = var.existing_cloudtrail_arn == "" || (can(regex("^arn:aws[a-z-]*:cloudtrail:[a-z0-9-]+:[0-9]{12}:trail/[A-Za-z0-9._-]{3,128}$", var.existing_cloudtrail_arn)))
    error_message = "existing_cloudtrail_arn must be \"\" or a CloudTrail trail ARN of the form arn:aws:cloudtrail:<region>:<account>:trail/<name>."
  }
}

variable "cloudtrail_multi_region" {
  description = "Make the trail record every region, not only the deployment's."
  type        = bool
  default     = true
}

variable "cloudtrail_glacier_after_days" {
  description = "Days after which trail log files move to S3 Glacier."
  type        = number
  default     = 90

  validation {
    condition     = var.cloudtrail_glacier_after_days >= 1 && var.cloudtrail_glacier_after_days <= 3650 && floor(var.cloudtrail_glacier_after_days) == var.cloudtrail_glacier_after_days
    error_message = "cloudtrail_glacier_after_days must be a whole number from 1 to 3650."
  }
}

variable "cloudtrail_retention_days" {
  description = "Days after which trail log files are deleted; must be more than cloudtrail_glacier_after_days."
  type        = number
  default     = 365

  validation {
    condition     = var.cloudtrail_retention_days >= 2 && var.cloudtrail_retention_days <= 3650 && floor(var.cloudtrail_retention_days) == var.cloudtrail_retention_days
    error_message = "cloudtrail_retention_days must be a whole number from 2 to 3650."
  }
}

variable "cloudtrail_cloudwatch_logs" {
  description = "Also deliver trail events to a CloudWatch Logs group (retention log_retention_days), for metric filters and alarms."
  type        = bool
  default     = false
}

# ---------- VPC endpoints ----------
variable "create_vpc_endpoints" {
  description = "Create VPC endpoints so the functions and runners in private subnets reach the AWS APIs without internet egress: interface endpoints (private DNS on) for vpc_endpoint_services and gateway endpoints for vpc_endpoint_gateway_services. Only GitHub then needs egress."
  type        = bool
  default     = false
}

variable "vpc_endpoint_subnet_ids" {
  description = "Subnets for the interface endpoints, at most one per AZ (usually the private subnets of the functions and runners). Required when create_vpc_endpoints is true."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for item in var.vpc_endpoint_subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", item))])
    error_message = "vpc_endpoint_subnet_ids must be subnet ids of the form subnet-0123456789abcdef0."
  }
}

variable "vpc_endpoint_route_table_ids" {
  description = "Route tables of the private subnets; they get the gateway endpoints' routes. Empty creates no gateway endpoint."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for item in var.vpc_endpoint_route_table_ids : can(regex("^rtb-[0-9a-f]{8,17}$", item))])
    error_message = "vpc_endpoint_route_table_ids must be route table ids of the form rtb-0123456789abcdef0."
  }
}

variable "vpc_endpoint_services" {
  description = "Services reached through interface endpoints (com.amazonaws.<region>.<service>): sqs (webhook), ssm (secrets, Session Manager), ec2 (scale-up, reconcile, NAT failover), logs, sts and kms (jobs and SDKs). Each costs about $0.01 per AZ-hour; add ssmmessages and ec2messages for Session Manager shells."
  type        = list(string)
  default     = ["sqs", "ssm", "ec2", "logs", "sts", "kms"]

  validation {
    condition     = alltrue([for item in var.vpc_endpoint_services : can(regex("^[a-z0-9][a-z0-9.-]{0,62}$", item))])
    error_message = "vpc_endpoint_services must be the service part of an endpoint service name, such as sqs, ssm, ec2, logs, sts, kms or ecr.dkr."
  }
}

variable "vpc_endpoint_gateway_services" {
  description = "Services reached through (free) gateway endpoints on vpc_endpoint_route_table_ids: dynamodb (the runners table) and/or s3 (the runner binaries bucket every runner downloads from at boot, package repositories, ECR layers)."
  type        = list(string)
  default     = ["dynamodb", "s3"]

  validation {
    condition     = alltrue([for item in var.vpc_endpoint_gateway_services : contains(["dynamodb", "s3"], item)])
    error_message = "vpc_endpoint_gateway_services must be a list of \"dynamodb\" and/or \"s3\"."
  }
}

variable "vpc_endpoint_source_security_group_ids" {
  description = "Security groups allowed to connect (HTTPS) to the interface endpoints. Empty allows the VPC's CIDR blocks."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for item in var.vpc_endpoint_source_security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", item))])
    error_message = "vpc_endpoint_source_security_group_ids must be security group ids of the form sg-0123456789abcdef0."
  }
}

# ---------- NAT instances ----------
variable "enable_nat_instances" {
  description = "Give the private subnets egress through one NAT instance per AZ (Auto Scaling group of one) instead of NAT Gateways, with a failover function per AZ that moves the AZ's default routes to a healthy NAT within seconds and back after a hold-down. Needs the EC2 API reachable without NAT (create_vpc_endpoints with \"ec2\", or nat_failover_existing_ec2_endpoint)."
  type        = bool
  default     = false
}

variable "nat_instance_enabled" {
  description = "Deprecated: use enable_nat_instances. Still honoured: when set (not null) it wins over enable_nat_instances, and the plan warns."
  type        = bool
  default     = null
}

variable "nat_instance_subnet_ids" {
  description = "Public subnet per AZ for the NAT instances, keyed by AZ name, e.g. { \"eu-west-1a\" = \"subnet-...\" }: one NAT instance each."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, item in var.nat_instance_subnet_ids : (can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+(-[a-z]+-[0-9]+)?[a-z]$", k))) && (can(regex("^subnet-[0-9a-f]{8,17}$", item)))])
    error_message = "nat_instance_subnet_ids must be a map of availability zone names such as eu-west-1a (not zone ids such as euw1-az1) to a public subnet: subnet ids of the form subnet-0123456789abcdef0."
  }
}

variable "nat_private_route_table_ids" {
  description = "Private route tables per AZ, keyed by AZ name, e.g. { \"eu-west-1a\" = [\"rtb-...\"] }. Their 0.0.0.0/0 route goes through that AZ's NAT instance: the instance creates it at boot when missing (or replaces it when dead), the failover function moves it. Every AZ here needs an entry in nat_instance_subnet_ids and nat_probe_subnet_ids."
  type        = map(list(string))
  default     = {}

  validation {
    condition     = alltrue([for k, item in var.nat_private_route_table_ids : (can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+(-[a-z]+-[0-9]+)?[a-z]$", k))) && (length(item) > 0 && (alltrue([for item in item : can(regex("^rtb-[0-9a-f]{8,17}$", item))])))])
    error_message = "nat_private_route_table_ids must be a map of availability zone names such as eu-west-1a (not zone ids such as euw1-az1) to lists of route tables: a non-empty list of route table ids of the form rtb-0123456789abcdef0."
  }
}

variable "nat_probe_subnet_ids" {
  description = "A private subnet per AZ, keyed by AZ name, whose route table is one of that AZ's nat_private_route_table_ids: the AZ's failover function runs there, so its probes take the AZ's egress path."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, item in var.nat_probe_subnet_ids : (can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+(-[a-z]+-[0-9]+)?[a-z]$", k))) && (can(regex("^subnet-[0-9a-f]{8,17}$", item)))])
    error_message = "nat_probe_subnet_ids must be a map of availability zone names such as eu-west-1a (not zone ids such as euw1-az1) to a private subnet: subnet ids of the form subnet-0123456789abcdef0."
  }
}

variable "nat_instance_type" {
  description = "Instance type of the NAT instances. Default c6gn.medium: Graviton, network-optimised, 1.6 Gbps sustained (bursts to 16 Gbps) for about a NAT Gateway's hourly price; a t4g.nano sustains only ~32 Mbps, too little for container pulls and package downloads. The AMI (Amazon Linux 2023) follows the type's architecture."
  type        = string
  default     = "c6gn.medium"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.nat_instance_type))
    error_message = "nat_instance_type must be EC2 instance type names such as m7i.large or c7g.2xlarge."
  }
}

variable "nat_standby_nat_gateway_ids" {
  description = "Optional NAT Gateway per AZ, keyed by AZ name, that the failover prefers over another AZ's NAT instance (it keeps traffic in the AZ, at NAT Gateway prices while in use)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, item in var.nat_standby_nat_gateway_ids : (can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+(-[a-z]+-[0-9]+)?[a-z]$", k))) && (can(regex("^nat-[0-9a-f]{8,17}$", item)))])
    error_message = "nat_standby_nat_gateway_ids must be a map of availability zone names such as eu-west-1a (not zone ids such as euw1-az1) to a NAT Gateway: NAT Gateway ids of the form nat-0123456789abcdef0."
  }
}

variable "nat_probe_urls" {
  description = "What the failover probes from each AZ: https://host[/path] (any HTTP answer counts) or tcp://host:port. A probe round fails only when none answers, so one target's outage is not a NAT failure."
  type        = list(string)
  default     = ["https://api.github.com", "https://checkip.amazonaws.com"]

  validation {
    condition     = length(var.nat_probe_urls) > 0 && (alltrue([for item in var.nat_probe_urls : can(regex("^(https://[^\\s/]+(/\\S*)?|tcp://[^\\s/:]+:[0-9]{1,5})$", item))]))
    error_message = "nat_probe_urls must be a non-empty list of https://host[/path] (any HTTP answer counts) or tcp://host:port (a TCP connection counts)."
  }
}

variable "nat_probe_interval_seconds" {
  description = "Seconds between probe rounds; each probe times out after min(3, interval - 1) s. Worst-case detection of a NAT that stops forwarding: nat_failure_threshold x interval + timeout (18 s by default)."
  type        = number
  default     = 5

  validation {
    condition     = var.nat_probe_interval_seconds >= 2 && var.nat_probe_interval_seconds <= 30 && floor(var.nat_probe_interval_seconds) == var.nat_probe_interval_seconds
    error_message = "nat_probe_interval_seconds must be a whole number from 2 to 30."
  }
}

variable "nat_failure_threshold" {
  description = "Failed probe rounds in a row that count as loss of egress. A stopped or terminated NAT instance is acted on at once, without probes."
  type        = number
  default     = 3

  validation {
    condition     = var.nat_failure_threshold >= 1 && var.nat_failure_threshold <= 20 && floor(var.nat_failure_threshold) == var.nat_failure_threshold
    error_message = "nat_failure_threshold must be a whole number from 1 to 20."
  }
}

variable "nat_failback_hold_down_seconds" {
  description = "Seconds the AZ's own NAT instance must be healthy (and, after failed probes, seconds since it was abandoned) before its routes return to it: at most one failover/failback cycle per period."
  type        = number
  default     = 300

  validation {
    condition     = var.nat_failback_hold_down_seconds >= 30 && var.nat_failback_hold_down_seconds <= 86400 && floor(var.nat_failback_hold_down_seconds) == var.nat_failback_hold_down_seconds
    error_message = "nat_failback_hold_down_seconds must be a whole number from 30 to 86400."
  }
}

variable "nat_failover_existing_ec2_endpoint" {
  description = "Set true when the VPC already has an EC2 interface endpoint with private DNS. The failover must reach the EC2 API while a NAT is down; without this or create_vpc_endpoints with \"ec2\", enable_nat_instances is refused."
  type        = bool
  default     = false
}

# ---------- Operations ----------
variable "alarm_topic_arn" {
  description = "Existing SNS topic for every alarm, budget and cost anomaly alert. Empty: the module creates <prefix>-alarms (encrypted with the kit's KMS key when one is in use) and outputs it as alarm_topic_arn. A given topic's policy must let cloudwatch.amazonaws.com, budgets.amazonaws.com and costalerts.amazonaws.com publish (docs/alarms.md)."
  type        = string
  default     = ""

  validation {
    condition     = var.alarm_topic_arn == "" || (can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.alarm_topic_arn)))
    error_message = "alarm_topic_arn must be \"\" or an SNS topic ARN of the form arn:aws:sns:<region>:<account>:<name> (standard, not FIFO)."
  }
}

variable "enable_alarms" {
  description = "Create the service alarms (dead-letter queues, queue age, function errors and throttles, reconcile not running, GitHub budget, launch and fleet failures, NAT failover, WAF blocks), each sending ALARM and OK to the topic and linking its runbook (docs/alarms.md)."
  type        = bool
  default     = true
}

variable "runbook_base_url" {
  description = "Where alarm descriptions point: each ends with <runbook_base_url>#<alarm id>. Set the https:// URL of docs/runbooks.md in your copy of the repository to make the links clickable."
  type        = string
  default     = "docs/runbooks.md"

  validation {
    condition     = can(regex("^(docs/runbooks\\.md|https://\\S+)$", var.runbook_base_url))
    error_message = "runbook_base_url must be \"docs/runbooks.md\" or an https:// URL of the runbooks page (each alarm appends #<id>)."
  }
}

variable "alarm_queue_age_seconds" {
  description = "queue-age-high fires when a pool queue's oldest message is older than this. Waiting jobs come back every job_wait_max_seconds at most, so keep it above that."
  type        = number
  default     = 1800

  validation {
    condition     = var.alarm_queue_age_seconds >= 60 && var.alarm_queue_age_seconds <= 86400 && floor(var.alarm_queue_age_seconds) == var.alarm_queue_age_seconds
    error_message = "alarm_queue_age_seconds must be a whole number from 60 to 86400."
  }
}

variable "alarm_github_budget_min" {
  description = "github-budget-low fires when an App's remaining hourly GitHub API requests fall below this (keep it above github_min_remaining_requests, where launches start to wait)."
  type        = number
  default     = 1000

  validation {
    condition     = var.alarm_github_budget_min >= 1 && var.alarm_github_budget_min <= 100000 && floor(var.alarm_github_budget_min) == var.alarm_github_budget_min
    error_message = "alarm_github_budget_min must be a whole number from 1 to 100000."
  }
}

variable "alarm_waf_blocked_requests" {
  description = "waf-blocked-spike fires when the web ACL blocks more requests than this in 5 minutes (only with enable_waf)."
  type        = number
  default     = 500

  validation {
    condition     = var.alarm_waf_blocked_requests >= 1 && var.alarm_waf_blocked_requests <= 10000000 && floor(var.alarm_waf_blocked_requests) == var.alarm_waf_blocked_requests
    error_message = "alarm_waf_blocked_requests must be a whole number from 1 to 10000000."
  }
}

variable "enable_slo_alarms" {
  description = "Create the multi-window, multi-burn-rate alarms of the two SLOs (page: 1 h and 5 min at 14.4x; ticket: 6 h and 30 min at 6x), independently of enable_alarms."
  type        = bool
  default     = true
}

variable "slo_time_to_runner_seconds" {
  description = "Time-to-runner SLO: a job should get its runner within this many seconds (queued to in_progress). 180 s covers a cold EC2 boot (about 30-60 s to running, 60-90 s of OS and runner start-up) with margin for retries."
  type        = number
  default     = 180

  validation {
    condition     = var.slo_time_to_runner_seconds >= 10 && var.slo_time_to_runner_seconds <= 3600 && floor(var.slo_time_to_runner_seconds) == var.slo_time_to_runner_seconds
    error_message = "slo_time_to_runner_seconds must be a whole number from 10 to 3600."
  }
}

variable "slo_time_to_runner_percent" {
  description = "Time-to-runner SLO: the percentage of jobs that must get a runner within slo_time_to_runner_seconds (90: the p90)."
  type        = number
  default     = 90

  validation {
    condition     = var.slo_time_to_runner_percent > 0 && var.slo_time_to_runner_percent < 100
    error_message = "slo_time_to_runner_percent must be a percentage above 0 and below 100 (100 leaves no error budget)."
  }
}

variable "slo_dispatch_success_percent" {
  description = "Dispatch SLO: the percentage of jobs that must get a runner, JobsDispatched / (JobsDispatched + JobsDispatchFailed)."
  type        = number
  default     = 99.5

  validation {
    condition     = var.slo_dispatch_success_percent > 0 && var.slo_dispatch_success_percent < 100
    error_message = "slo_dispatch_success_percent must be a percentage above 0 and below 100 (100 leaves no error budget)."
  }
}

variable "budget_monthly_limit_usd" {
  description = "Monthly AWS Budgets cost budget in USD for the resources tagged self-runners:prefix = <prefix> (that tag must be an active cost allocation tag), alerting the topic at 100 % forecast and 80 % actual. 0 creates no budget."
  type        = number
  default     = 0

  validation {
    condition     = var.budget_monthly_limit_usd >= 0 && var.budget_monthly_limit_usd <= 10000000
    error_message = "budget_monthly_limit_usd must be a number from 0 to 10000000 (0: no budget)."
  }
}

variable "enable_cost_anomaly_detection" {
  description = "Create a Cost Anomaly Detection monitor of the resources tagged self-runners:prefix = <prefix> and a subscription sending anomalies above cost_anomaly_threshold_usd to the topic."
  type        = bool
  default     = false
}

variable "cost_anomaly_threshold_usd" {
  description = "Total impact in USD above which a cost anomaly is sent to the topic."
  type        = number
  default     = 20

  validation {
    condition     = var.cost_anomaly_threshold_usd >= 1 && var.cost_anomaly_threshold_usd <= 1000000
    error_message = "cost_anomaly_threshold_usd must be a number from 1 to 1000000."
  }
}

variable "activate_cost_allocation_tags" {
  description = "Activate self-runners:prefix and self-runners:pool as cost allocation tags (aws_ce_cost_allocation_tag). Works only in the payer (management) account of an organization and only once the tags have been seen on a bill; elsewhere activate them there by hand."
  type        = bool
  default     = false
}

variable "enable_dashboard" {
  description = "Create the CloudWatch dashboard <prefix>: time to runner per pool, jobs, runners by state, launches by market, DLQ depth, GitHub budget per App, reconcile actions, Lambda health and SLO burn rates (docs/alarms.md)."
  type        = bool
  default     = true
}

# ---------- Build cache ----------
variable "enable_build_cache" {
  description = "Create the build cache (docs/build-cache.md): an S3 bucket of content-addressed blobs, a DynamoDB index, a cache function behind an IAM-authenticated function URL and a loopback agent on every Linux runner serving actions/cache, Turborepo, Nx, Bazel, Gradle and plain HTTP. A job reads and writes only its runner's scope (repository for repo runners, organization for org runners). Windows pools are refused while it is on."
  type        = bool
  default     = false
}

variable "build_cache_budget_gb_per_scope" {
  description = "Size in GB a scope's (repository's or organization's) cache entries may take: the sweep evicts the least recently used entries above it, never a blob another entry still references."
  type        = number
  default     = 10

  validation {
    condition     = var.build_cache_budget_gb_per_scope >= 1 && var.build_cache_budget_gb_per_scope <= 10240 && floor(var.build_cache_budget_gb_per_scope) == var.build_cache_budget_gb_per_scope
    error_message = "build_cache_budget_gb_per_scope must be a whole number from 1 to 10240 GB (the size of one scope's entries the sweep evicts down to)."
  }
}

variable "build_cache_retention_days" {
  description = "Days a cache entry is kept after its last read or write (GitHub's cache keeps 7)."
  type        = number
  default     = 7

  validation {
    condition     = var.build_cache_retention_days >= 1 && var.build_cache_retention_days <= 365 && floor(var.build_cache_retention_days) == var.build_cache_retention_days
    error_message = "build_cache_retention_days must be a whole number from 1 to 365 days."
  }
}

variable "build_cache_protocols" {
  description = "Client protocols the runner's agent serves: actions (actions/cache and everything built on @actions/cache), turborepo, nx, bazel, gradle, http (plain GET/PUT, for ccache and sccache). The bootstrap sets each client's environment only for the protocols listed."
  type        = list(string)
  default     = ["actions", "turborepo", "nx", "bazel", "gradle", "http"]

  validation {
    condition     = length(var.build_cache_protocols) > 0 && length(distinct(var.build_cache_protocols)) == length(var.build_cache_protocols) && alltrue([for p in var.build_cache_protocols : contains(["actions", "turborepo", "nx", "bazel", "gradle", "http"], p)])
    error_message = "build_cache_protocols must be a non-empty list of distinct protocols from \"actions\", \"turborepo\", \"nx\", \"bazel\", \"gradle\", \"http\"."
  }
}

variable "build_cache_point_in_time_recovery" {
  description = "Point-in-time recovery for the build cache's index table. Without it a lost index costs cache misses only: the blobs it no longer references are swept."
  type        = bool
  default     = false
}
