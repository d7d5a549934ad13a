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
