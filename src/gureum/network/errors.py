"""Network errors, named and worded as neutron's (the class name is the error `type`
clients see in {"NeutronError": {"type": ...}})."""

from gureum.core.errors import BadRequest, Conflict, Forbidden, GureumError, NotFound


class NetworkNotFound(NotFound):
    message = "Network {net_id} could not be found."


class SubnetNotFound(NotFound):
    message = "Subnet {subnet_id} could not be found."


class PortNotFound(NotFound):
    message = "Port {port_id} could not be found."


class SubnetPoolNotFound(NotFound):
    message = "Subnet pool {subnetpool_id} could not be found."


class SegmentNotFound(NotFound):
    message = "Segment {segment_id} could not be found."


class InvalidInput(BadRequest):
    message = "Invalid input for operation: {error_message}."


class NeutronBadRequest(BadRequest):
    message = "Bad {resource} request: {msg}."

    @property
    def kind(self) -> str:
        return "BadRequest"


class NetworkInUse(Conflict):
    message = ("Unable to complete operation on network {net_id}. There are one or more "
               "ports still in use on the network.")


class SubnetInUse(Conflict):
    message = ("Unable to complete operation on subnet {subnet_id}: {reason}")


class IpAddressInUse(Conflict):
    message = ("Unable to complete operation for network {net_id}. The IP address "
               "{ip_address} is in use.")


class IpAddressGenerationFailure(Conflict):
    message = "No more IP addresses available on network {net_id}."


class MacAddressInUse(Conflict):
    message = ("Unable to complete operation for network {net_id}. The mac address {mac} "
               "is in use.")


class InvalidIpForSubnet(BadRequest):
    message = "IP address {ip_address} is not a valid IP for the specified subnet."


class InvalidIpForNetwork(BadRequest):
    message = ("IP address {ip_address} is not a valid IP for any of the subnets on the "
               "specified network.")


class InvalidAllocationPool(BadRequest):
    message = "The allocation pool {pool} is not valid."


class OverlappingAllocationPools(Conflict):
    message = "Found overlapping allocation pools: {pool_1} {pool_2} for subnet {subnet_cidr}."


class GatewayConflictWithAllocationPools(Conflict):
    message = "Gateway ip {ip_address} conflicts with allocation pool {pool}."


class OverQuota(Conflict):
    message = "Quota exceeded for resources: {overs}."


class VlanIdInUse(Conflict):
    message = ("Unable to create the network. The VLAN {vlan_id} on physical network "
               "{physical_network} is in use.")


class TunnelIdInUse(Conflict):
    message = "Unable to create the network. The tunnel ID {tunnel_id} is in use."


class FlatNetworkInUse(Conflict):
    message = ("Unable to create the flat network. Physical network {physical_network} is "
               "in use.")


class NoNetworkAvailable(GureumError):
    status = 503
    title = "Service Unavailable"
    message = "Unable to create the network. No tenant network is available for allocation."


class PortBound(Conflict):
    message = ("Unable to complete operation on port {port_id}, port is already bound, port "
               "type: {vif_type}, old_mac {old_mac}, new_mac {new_mac}.")


class InvalidSharedSetting(Conflict):
    message = ("Unable to reconfigure sharing settings for network {network}. Multiple "
               "tenants are using it.")


class OutOfBoundsAllocationPool(BadRequest):
    message = "The allocation pool {pool} spans beyond the subnet cidr {subnet_cidr}."


class SecurityGroupNotFound(NotFound):
    message = "Security group {id} does not exist"


class L3PortInUse(Conflict):
    message = ("Port {port_id} cannot be deleted directly via the port API: has device "
               "owner {device_owner}.")


class NetworkTenantMismatch(Forbidden):
    message = "Tenant {tenant_id} not allowed to create port on this network"


class PortSecurityAndIPRequiredForSecurityGroups(BadRequest):
    message = ("Port security must be enabled and port must have an IP address in order to "
               "use security groups.")


class AddressPairAndPortSecurityRequired(Conflict):
    message = "Port Security must be enabled in order to have allowed address pairs on a port."


class DuplicateAddressPairInRequest(BadRequest):
    message = ("Request contains duplicate address pair: mac_address {mac_address} "
               "ip_address {ip_address}.")


class SubnetAllocationError(Conflict):
    message = "Failed to allocate subnet: {reason}."


class MacAddressGenerationFailure(GureumError):
    status = 503
    title = "Service Unavailable"
    message = "Unable to generate unique mac on network {net_id}."


class PortSecurityPortHasSecurityGroup(Conflict):
    message = ("Port has security group associated. Cannot disable port security or ip "
               "address until security group is removed")


# ---------------------------------------------------------------- security groups

class SecurityGroupInUse(Conflict):
    message = "Security Group {id} in use."


class SecurityGroupCannotRemoveDefault(Conflict):
    message = "Insufficient rights for removing default security group."


class SecurityGroupCannotUpdateDefault(Conflict):
    message = "Updating default security group not allowed."


class SecurityGroupDefaultAlreadyExists(Conflict):
    message = "Default security group already exists."


class SecurityGroupRuleNotFound(NotFound):
    message = "Security group rule {id} does not exist"


class SecurityGroupRuleExists(Conflict):
    message = "Security group rule already exists. Rule id is {rule_id}."


class DuplicateSecurityGroupRuleInPost(Conflict):
    message = "Duplicate Security Group Rule in POST."


class SecurityGroupInvalidPortRange(BadRequest):
    message = "For TCP/UDP protocols, port_range_min must be <= port_range_max"


class SecurityGroupInvalidProtocolForPort(BadRequest):
    message = ("Ports cannot be specified for protocol {protocol}. Ports are only supported "
               "for {valid_port_protocols}.")


class SecurityGroupInvalidPortValue(BadRequest):
    message = "Invalid value for port {port}"


class SecurityGroupInvalidIcmpValue(BadRequest):
    message = "Invalid value for ICMP {field} ({attr}) {value}. It must be 0 to 255."


class SecurityGroupEthertypeConflictWithProtocol(BadRequest):
    message = "Invalid ethertype {ethertype} for protocol {protocol}."


class SecurityGroupMissingIcmpType(BadRequest):
    message = ("ICMP code (port-range-max) {value} is provided but ICMP type (port-range-min) "
               "is missing.")


class SecurityGroupRuleInvalidProtocol(BadRequest):
    message = ("Security group rule protocol {protocol} not supported. Only protocol values "
               "{values} and integer representations [0 to 255] are supported.")


class SecurityGroupRuleInvalidEtherType(BadRequest):
    message = ("Security group rule for ethertype '{ethertype}' not supported. Allowed values "
               "are {values}.")


class SecurityGroupMultipleRemoteEntites(BadRequest):
    message = ("Only one of remote_ip_prefix or remote_group_id or remote_address_group_id "
               "may be provided.")


class SecurityGroupProtocolRequiredWithPorts(BadRequest):
    message = "Must also specify protocol if port range is given."


class SecurityGroupNotSingleGroupRules(BadRequest):
    message = "Only allowed to update rules for one security profile at a time"


class SecurityGroupRulesNotSingleProject(BadRequest):
    message = "Multiple project_ids in bulk security group rule create not allowed"


class SecurityGroupRuleParameterConflict(BadRequest):
    message = "Conflicting value ethertype {ethertype} for CIDR {cidr}"


class InvalidCIDR(BadRequest):
    message = "Invalid CIDR {input} given as IP prefix."


# ------------------------------------------------------------------ agents
class AgentNotFound(NotFound):
    message = "Agent {id} could not be found."


class InvalidDHCPAgent(AgentNotFound):
    message = "Agent {id} is not a valid DHCP Agent or has been disabled"


class InvalidL3Agent(AgentNotFound):
    message = "Agent {id} is not a L3 Agent or has been disabled"


class NetworkHostedByDHCPAgent(Conflict):
    message = "The network {network_id} has been already hosted by the DHCP Agent {agent_id}."


class NetworkNotHostedByDhcpAgent(Conflict):
    message = "The network {network_id} is not hosted by the DHCP agent {agent_id}."


class RouterHostedByL3Agent(Conflict):
    message = "The router {router_id} has been already hosted by the L3 Agent {agent_id}."


class RouterNotHostedByL3Agent(Conflict):
    message = "The router {router_id} is not hosted by L3 agent {agent_id}."


# ---------------------------------------------------------------- quotas, RBAC, tags, pools

class TenantQuotaNotFound(NotFound):
    message = "Quota for tenant {tenant_id} could not be found."


class QuotaMissingTenant(BadRequest):
    message = "Tenant-id was missing from quota request."


class RbacPolicyNotFound(NotFound):
    message = "RBAC policy of type {object_type} with ID {id} not found"


class RbacPolicyInUse(Conflict):
    message = ("RBAC policy on object {object_id} cannot be removed because other objects "
               "depend on it.\nDetails: {details}")


class DuplicateRbacPolicy(Conflict):
    message = "An RBAC policy already exists with those values."


class InvalidActionForType(BadRequest):
    message = ("Invalid action '{action}' for object type '{object_type}'. Valid actions: "
               "{valid_actions}")


class TagResourceNotFound(NotFound):
    message = "Resource {resource} {resource_id} could not be found."


class TagNotFound(NotFound):
    message = "Tag {tag} could not be found."


class EmptySubnetPoolPrefixList(BadRequest):
    message = "Empty subnet pool prefix list."


class PrefixVersionMismatch(BadRequest):
    message = "Cannot mix IPv4 and IPv6 prefixes in a subnet pool."


class UnsupportedMinSubnetPoolPrefix(BadRequest):
    message = "Prefix '{prefix}' not supported in IPv{version} pool."


class IllegalSubnetPoolPrefixBounds(BadRequest):
    message = ("Illegal prefix bounds: {prefix_type}={prefixlen}, "
               "{base_prefix_type}={base_prefixlen}.")


class IllegalSubnetPoolPrefixUpdate(BadRequest):
    message = "Illegal update to prefixes: {msg}."


class SubnetPoolDeleteError(BadRequest):
    message = "Unable to delete subnet pool: {reason}."


class AddressScopeNotFound(NotFound):
    message = "Address scope {address_scope_id} could not be found."


class AutoAllocationFailure(Conflict):
    message = "Deployment error: {reason}."


# ---------------------------------------------------------------- routers, floating IPs

class RouterNotFound(NotFound):
    message = "Router {router_id} could not be found"


class RouterInUse(Conflict):
    message = "Router {router_id} {reason}"


class RouterInterfaceNotFound(NotFound):
    message = "Router {router_id} does not have an interface with id {port_id}"


class RouterInterfaceNotFoundForSubnet(NotFound):
    message = "Router {router_id} has no interface on subnet {subnet_id}"


class RouterInterfaceInUseByFloatingIP(Conflict):
    message = ("Router interface for subnet {subnet_id} on router {router_id} cannot be "
               "deleted, as it is required by one or more floating IPs.")


class RouterInterfaceInUseByRoute(Conflict):
    message = ("Router interface for subnet {subnet_id} on router {router_id} cannot be "
               "deleted, as it is required by one or more routes.")


class RouterExternalGatewayInUseByFloatingIp(Conflict):
    message = ("Gateway cannot be updated for router {router_id}, since a gateway to "
               "external network {net_id} is required by one or more floating IPs.")


class InvalidRoutes(BadRequest):
    message = "Invalid format for routes: {routes}, {reason}"


class RoutesExhausted(BadRequest):
    message = ("Unable to complete operation for {router_id}. The number of routes exceeds "
               "the maximum {quota}.")


class FloatingIPNotFound(NotFound):
    message = "Floating IP {floatingip_id} could not be found"


class ExternalGatewayForFloatingIPNotFound(NotFound):
    message = ("External network {external_network_id} is not reachable from subnet "
               "{subnet_id}.  Therefore, cannot associate Port {port_id} with a Floating IP.")


class FloatingIPPortAlreadyAssociated(Conflict):
    message = ("Cannot associate floating IP {floating_ip_address} ({fip_id}) with port "
               "{port_id} using fixed IP {fixed_ip}, as that fixed IP already has a floating "
               "IP on external network {net_id}.")


class ExternalIpAddressExhausted(BadRequest):
    message = "Unable to find any IP address on external network {net_id}."


class PortInUse(Conflict):
    message = ("Unable to complete operation on port {port_id} for network {net_id}. Port "
               "already has an attached device {device_id}.")


class SubnetMismatchForPort(BadRequest):
    message = "Subnet on port {port_id} does not match the requested subnet {subnet_id}."
