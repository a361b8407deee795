package pve

import (
	"context"
	"fmt"
)

func getByVMID(ctx context.Context, c *Client, vmid int, node string) error {
	r, err := c.FindGuest(ctx, vmid)
	if err != nil {
		return err
	}
	if node != "" && r.Node != node {
		return fmt.Errorf("wrong node")
	}
	if _, err := c.GuestStatus(ctx, r.Ref()); err != nil {
		return err
	}
	_, err = c.GuestConfig(ctx, r.Ref())
	return err
}

func startByVMID(ctx context.Context, c *Client, vmid int, node string) error {
	r, err := c.FindGuest(ctx, vmid)
	if err != nil {
		return err
	}
	if node != "" && r.Node != node {
		return fmt.Errorf("wrong node")
	}
	req, err := PowerRequest(r.Ref(), ActionStart, 0, false)
	if err != nil {
		return err
	}
	_, err = c.Submit(ctx, req)
	return err
}
