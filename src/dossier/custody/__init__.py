"""Custody over time: handing borrowers from one officer to another (handover), transferring a bad loan
to a department such as 资产保全 (transfer), and lending a file for a while (lending)."""
