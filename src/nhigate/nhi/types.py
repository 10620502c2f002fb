"""The NHI data table: which provider types are identities, credentials, secrets, keys and
workloads, and which attributes connect them.

Adding a provider type is adding a row, not code.  Paths follow each format's value shape
(Terraform nested blocks are lists: ``("service_account", 0, "email")``; ``"*"`` means every item
of a list).  ``issued_to`` paths name the identity a credential belongs to; ``runs_as`` paths name
the identity a workload runs as (an instance profile is followed to its role); ``grants`` rows are
IAM bindings that let principals act as a service account (who can impersonate it).
"""

from __future__ import annotations

from dataclasses import dataclass

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class NhiType:
    kind: str  # identity | credential | secret | key | workload | indirection
    category: str
    issued_to: tuple[Path, ...] = ()
    runs_as: tuple[Path, ...] = ()
    ai: bool = False
    name: tuple[Path, ...] = ()
    """Attributes holding the identity's own name/ARN/email, to match literal references."""


def _identity(category: str, *name: Path, ai: bool = False) -> NhiType:
    return NhiType("identity", category, name=name, ai=ai)


def _workload(category: str, *runs_as: Path, ai: bool = False) -> NhiType:
    return NhiType("workload", category, runs_as=runs_as, ai=ai)


TYPES: dict[str, NhiType] = {
    # -- identities -------------------------------------------------------------------------------
    "aws_iam_role": _identity("aws-role", ("name",), ("arn",)),
    "aws_iam_user": _identity("aws-user", ("name",), ("arn",)),
    "AWS::IAM::Role": _identity("aws-role", ("RoleName",)),
    "AWS::IAM::User": _identity("aws-user", ("UserName",)),
    "google_service_account": _identity("gcp-service-account", ("account_id",), ("email",)),
    "azurerm_user_assigned_identity": _identity("azure-managed-identity", ("name",)),
    "azuread_application": _identity("azure-app-registration", ("display_name",)),
    "azuread_service_principal": _identity("azure-service-principal"),
    "aws_bedrockagent_agent": NhiType("identity", "ai-agent", runs_as=(("agent_resource_role_arn",),), ai=True),
    "AWS::Bedrock::Agent": NhiType("identity", "ai-agent", runs_as=(("AgentResourceRoleArn",),), ai=True),
    # -- credentials ------------------------------------------------------------------------------
    "aws_iam_access_key": NhiType("credential", "aws-access-key", issued_to=(("user",),)),
    "AWS::IAM::AccessKey": NhiType("credential", "aws-access-key", issued_to=(("UserName",),)),
    "aws_iam_service_specific_credential": NhiType("credential", "aws-service-password", issued_to=(("user_name",),)),
    "aws_iam_user_login_profile": NhiType("credential", "aws-console-password", issued_to=(("user",),)),
    "google_service_account_key": NhiType(
        "credential", "gcp-service-account-key", issued_to=(("service_account_id",),)
    ),
    "google_apikeys_key": NhiType("credential", "gcp-api-key"),
    "azuread_application_password": NhiType(
        "credential", "azure-client-secret", issued_to=(("application_id",), ("application_object_id",))
    ),
    "azuread_service_principal_password": NhiType(
        "credential", "azure-client-secret", issued_to=(("service_principal_id",),)
    ),
    "azuread_application_certificate": NhiType(
        "credential", "azure-certificate", issued_to=(("application_id",), ("application_object_id",))
    ),
    "azuread_application_federated_identity_credential": NhiType(
        "credential", "azure-federated-credential", issued_to=(("application_id",), ("application_object_id",))
    ),
    "vault_token": NhiType("credential", "vault-token"),
    "vault_approle_auth_backend_role_secret_id": NhiType("credential", "vault-secret-id"),
    # -- secrets and keys -------------------------------------------------------------------------
    "aws_secretsmanager_secret": NhiType("secret", "aws-secret", name=(("name",),)),
    "AWS::SecretsManager::Secret": NhiType("secret", "aws-secret", name=(("Name",),)),
    "aws_ssm_parameter": NhiType("secret", "aws-ssm-parameter", name=(("name",),)),
    "google_secret_manager_secret": NhiType("secret", "gcp-secret", name=(("secret_id",),)),
    "azurerm_key_vault_secret": NhiType("secret", "azure-key-vault-secret", name=(("name",),)),
    "github_actions_secret": NhiType("secret", "github-actions-secret", name=(("secret_name",),)),
    "aws_kms_key": NhiType("key", "aws-kms-key"),
    "AWS::KMS::Key": NhiType("key", "aws-kms-key"),
    "google_kms_crypto_key": NhiType("key", "gcp-kms-key", name=(("name",),)),
    "azurerm_key_vault_key": NhiType("key", "azure-key-vault-key", name=(("name",),)),
    # -- workloads (run as an identity) -----------------------------------------------------------
    "aws_lambda_function": _workload("aws-lambda", ("role",)),
    "AWS::Lambda::Function": _workload("aws-lambda", ("Role",)),
    "AWS::Serverless::Function": _workload("aws-lambda", ("Role",)),
    "aws_ecs_task_definition": _workload("aws-ecs-task", ("task_role_arn",)),
    "AWS::ECS::TaskDefinition": _workload("aws-ecs-task", ("TaskRoleArn",)),
    "aws_instance": _workload("aws-ec2-instance", ("iam_instance_profile",)),
    "AWS::EC2::Instance": _workload("aws-ec2-instance", ("IamInstanceProfile",)),
    "aws_launch_template": _workload(
        "aws-launch-template", ("iam_instance_profile", 0, "name"), ("iam_instance_profile", 0, "arn")
    ),
    "aws_sfn_state_machine": _workload("aws-step-functions", ("role_arn",)),
    "AWS::StepFunctions::StateMachine": _workload("aws-step-functions", ("RoleArn",)),
    "aws_codebuild_project": _workload("aws-codebuild", ("service_role",)),
    "AWS::CodeBuild::Project": _workload("aws-codebuild", ("ServiceRole",)),
    "aws_glue_job": _workload("aws-glue-job", ("role_arn",)),
    "AWS::Glue::Job": _workload("aws-glue-job", ("Role",)),
    "aws_sagemaker_notebook_instance": _workload("aws-sagemaker", ("role_arn",), ai=True),
    "aws_sagemaker_model": _workload("aws-sagemaker", ("execution_role_arn",), ai=True),
    "AWS::SageMaker::NotebookInstance": _workload("aws-sagemaker", ("RoleArn",), ai=True),
    "AWS::SageMaker::Model": _workload("aws-sagemaker", ("ExecutionRoleArn",), ai=True),
    "aws_eks_node_group": _workload("aws-eks-node-group", ("node_role_arn",)),
    "AWS::EKS::Nodegroup": _workload("aws-eks-node-group", ("NodeRole",)),
    "AWS::EKS::Cluster": _workload("aws-eks-cluster", ("RoleArn",)),
    "AWS::EC2::LaunchTemplate": _workload(
        "aws-launch-template",
        ("LaunchTemplateData", "IamInstanceProfile", "Arn"),
        ("LaunchTemplateData", "IamInstanceProfile", "Name"),
    ),
    "AWS::CodePipeline::Pipeline": _workload("aws-codepipeline", ("RoleArn",)),
    "aws_codepipeline": _workload("aws-codepipeline", ("role_arn",)),
    "aws_eks_cluster": _workload("aws-eks-cluster", ("role_arn",)),
    "aws_batch_compute_environment": _workload("aws-batch", ("service_role",)),
    "aws_apprunner_service": _workload("aws-apprunner", ("instance_configuration", 0, "instance_role_arn")),
    "google_compute_instance": _workload("gcp-compute", ("service_account", 0, "email")),
    "google_compute_instance_template": _workload("gcp-compute", ("service_account", 0, "email")),
    "google_cloud_run_service": _workload("gcp-cloud-run", ("template", 0, "spec", 0, "service_account_name")),
    "google_cloud_run_v2_service": _workload("gcp-cloud-run", ("template", 0, "service_account")),
    "google_cloud_run_v2_job": _workload("gcp-cloud-run", ("template", 0, "template", 0, "service_account")),
    "google_cloudfunctions_function": _workload("gcp-cloud-functions", ("service_account_email",)),
    "google_cloudfunctions2_function": _workload("gcp-cloud-functions", ("service_config", 0, "service_account_email")),
    "google_container_node_pool": _workload("gcp-gke-node-pool", ("node_config", 0, "service_account")),
    "google_container_cluster": _workload("gcp-gke-cluster", ("node_config", 0, "service_account")),
    "google_dataflow_job": _workload("gcp-dataflow", ("service_account_email",)),
    "google_composer_environment": _workload("gcp-composer", ("config", 0, "node_config", 0, "service_account")),
    "azurerm_linux_function_app": _workload("azure-function", ("identity", 0, "identity_ids", "*")),
    "azurerm_windows_function_app": _workload("azure-function", ("identity", 0, "identity_ids", "*")),
    "azurerm_linux_web_app": _workload("azure-web-app", ("identity", 0, "identity_ids", "*")),
    "azurerm_windows_web_app": _workload("azure-web-app", ("identity", 0, "identity_ids", "*")),
    "azurerm_linux_virtual_machine": _workload("azure-vm", ("identity", 0, "identity_ids", "*")),
    "azurerm_windows_virtual_machine": _workload("azure-vm", ("identity", 0, "identity_ids", "*")),
    "azurerm_kubernetes_cluster": _workload(
        "azure-aks", ("identity", 0, "identity_ids", "*"), ("kubelet_identity", 0, "user_assigned_identity_id")
    ),
    "azurerm_container_app": _workload("azure-container-app", ("identity", 0, "identity_ids", "*")),
    "azurerm_cognitive_account": _workload("azure-ai-services", ("identity", 0, "identity_ids", "*"), ai=True),
    "azurerm_ai_services": _workload("azure-ai-services", ("identity", 0, "identity_ids", "*"), ai=True),
    # -- indirections followed to the identity ----------------------------------------------------
    "aws_iam_instance_profile": NhiType("indirection", "aws-instance-profile", runs_as=(("role",),)),
    "AWS::IAM::InstanceProfile": NhiType("indirection", "aws-instance-profile", runs_as=(("Roles", "*"),)),
}

# Bindings that let principals act as (impersonate) a GCP service account.
IMPERSONATION_ROLES = frozenset(
    {
        "roles/iam.serviceAccountUser",
        "roles/iam.serviceAccountTokenCreator",
        "roles/iam.serviceAccountKeyAdmin",
        "roles/iam.workloadIdentityUser",
    }
)
SERVICE_ACCOUNT_BINDINGS = {
    "google_service_account_iam_member": (("service_account_id",), ("member",)),
    "google_service_account_iam_binding": (("service_account_id",), ("members",)),
}
PROJECT_BINDINGS = {
    "google_project_iam_member": ("member",),
    "google_project_iam_binding": ("members",),
}
