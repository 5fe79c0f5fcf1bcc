package server

import (
	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/model"
	"github.com/gofiber/fiber/v2"
)

// idParam returns a path id, or a not-found error when it cannot be one.
func idParam(c *fiber.Ctx, name string) (string, error) {
	v := c.Params(name)
	if !model.ValidID(v) {
		return "", errBadID
	}
	return clone(v), nil
}

func (s *Server) meta(c *fiber.Ctx) error {
	roles := []fiber.Map{
		{"code": model.RoleCoordinateur, "label": "Coordinateur·rice"},
		{"code": model.RoleMembre, "label": "Membre"},
		{"code": model.RolePartenaire, "label": "Partenaire"},
	}
	missions := make([]fiber.Map, 0, len(model.Missions))
	for _, m := range model.Missions {
		missions = append(missions, fiber.Map{"code": m.Code, "label": m.Label})
	}
	return c.JSON(fiber.Map{"professions": model.Professions, "missions": missions, "roles": roles})
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (s *Server) login(c *fiber.Ctx) error {
	var in loginRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	res, err := s.deps.Core.Login(c.UserContext(), in.Email, in.Password, s.clientIP(c))
	if err != nil {
		return err
	}
	s.setSessionCookie(c, res.Token, res.ExpiresAt)
	return c.JSON(fiber.Map{"user": res.User, "csrf_token": res.CSRFToken})
}

func (s *Server) logout(c *fiber.Ctx) error {
	sess, err := mustSession(c)
	if err != nil {
		return err
	}
	if err := s.deps.Core.Logout(c.UserContext(), sess); err != nil {
		return err
	}
	s.clearCookie(c)
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) me(c *fiber.Ctx) error {
	sess, err := mustSession(c)
	if err != nil {
		return err
	}
	v, err := s.deps.Core.Me(c.UserContext(), sess)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

type profilePatch struct {
	Name       *string `json:"name"`
	Profession *string `json:"profession"`
	RPPS       *string `json:"rpps"`
	ADELI      *string `json:"adeli"`
	Commune    *string `json:"commune"`
}

func (s *Server) updateMe(c *fiber.Ctx) error {
	sess, err := mustSession(c)
	if err != nil {
		return err
	}
	var in profilePatch
	if err := decode(c, &in); err != nil {
		return err
	}
	p := core.ProfilePatch{Name: in.Name, RPPS: in.RPPS, ADELI: in.ADELI, Commune: in.Commune}
	if in.Profession != nil {
		pr := model.Profession(*in.Profession)
		p.Profession = &pr
	}
	u, err := s.deps.Core.UpdateProfile(c.UserContext(), sess, p)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"user": u})
}

type passwordChange struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

func (s *Server) changePassword(c *fiber.Ctx) error {
	sess, err := mustSession(c)
	if err != nil {
		return err
	}
	var in passwordChange
	if err := decode(c, &in); err != nil {
		return err
	}
	if err := s.deps.Core.ChangePassword(c.UserContext(), sess, in.CurrentPassword, in.NewPassword, s.clientIP(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) listCPTS(c *fiber.Ctx) error {
	sess, err := mustSession(c)
	if err != nil {
		return err
	}
	v, err := s.deps.Core.ListCPTS(c.UserContext(), sess)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"cpts": v})
}

func (s *Server) cptsCatalog(c *fiber.Ctx) error {
	sess, err := mustSession(c)
	if err != nil {
		return err
	}
	v, err := s.deps.Core.CPTSCatalog(c.UserContext(), sess)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"cpts": v})
}

type cptsCreate struct {
	Name       string          `json:"name"`
	Department string          `json:"department"`
	Communes   []string        `json:"communes"`
	Missions   []model.Mission `json:"missions"`
}

func (s *Server) createCPTS(c *fiber.Ctx) error {
	sess, err := mustSession(c)
	if err != nil {
		return err
	}
	var in cptsCreate
	if err := decode(c, &in); err != nil {
		return err
	}
	v, err := s.deps.Core.CreateCPTS(c.UserContext(), sess, core.CPTSInput(in))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"cpts": v})
}

func (s *Server) getCPTS(c *fiber.Ctx) error {
	sess, err := mustSession(c)
	if err != nil {
		return err
	}
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	v, err := s.deps.Core.GetCPTS(c.UserContext(), sess, model.CPTSID(id))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"cpts": v})
}

// cptsAndUser reads the two ids of /cpts/:id/members/:user_id.
func cptsAndUser(c *fiber.Ctx) (model.Session, model.CPTSID, model.UserID, error) {
	sess, err := mustSession(c)
	if err != nil {
		return sess, "", "", err
	}
	id, err := idParam(c, "id")
	if err != nil {
		return sess, "", "", err
	}
	uid, err := idParam(c, "user_id")
	if err != nil {
		return sess, "", "", err
	}
	return sess, model.CPTSID(id), model.UserID(uid), nil
}

func (s *Server) cptsMembers(c *fiber.Ctx) error {
	sess, err := mustSession(c)
	if err != nil {
		return err
	}
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	v, err := s.deps.Core.CPTSMembers(c.UserContext(), sess, model.CPTSID(id))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"members": v})
}

func (s *Server) validateMember(c *fiber.Ctx) error {
	sess, id, uid, err := cptsAndUser(c)
	if err != nil {
		return err
	}
	v, err := s.deps.Core.ValidateMember(c.UserContext(), sess, id, uid)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"member": v})
}

type rolePatch struct {
	Role model.Role `json:"role"`
}

func (s *Server) setMemberRole(c *fiber.Ctx) error {
	sess, id, uid, err := cptsAndUser(c)
	if err != nil {
		return err
	}
	var in rolePatch
	if err := decode(c, &in); err != nil {
		return err
	}
	v, err := s.deps.Core.SetMemberRole(c.UserContext(), sess, id, uid, in.Role)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"member": v})
}

func (s *Server) removeMember(c *fiber.Ctx) error {
	sess, id, uid, err := cptsAndUser(c)
	if err != nil {
		return err
	}
	if err := s.deps.Core.RemoveMember(c.UserContext(), sess, id, uid); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) listInvitations(c *fiber.Ctx) error {
	sess, err := mustSession(c)
	if err != nil {
		return err
	}
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	v, err := s.deps.Core.Invitations(c.UserContext(), sess, model.CPTSID(id))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"invitations": v})
}

type invitationCreate struct {
	Email string     `json:"email"`
	Role  model.Role `json:"role"`
}

func (s *Server) invite(c *fiber.Ctx) error {
	sess, err := mustSession(c)
	if err != nil {
		return err
	}
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var in invitationCreate
	if err := decode(c, &in); err != nil {
		return err
	}
	v, err := s.deps.Core.Invite(c.UserContext(), sess, model.CPTSID(id), in.Email, in.Role)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"invitation": v})
}

func (s *Server) revokeInvitation(c *fiber.Ctx) error {
	sess, err := mustSession(c)
	if err != nil {
		return err
	}
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	inv, err := idParam(c, "inv_id")
	if err != nil {
		return err
	}
	if err := s.deps.Core.RevokeInvitation(c.UserContext(), sess, model.CPTSID(id), inv); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) invitationInfo(c *fiber.Ctx) error {
	v, err := s.deps.Core.InvitationInfo(c.UserContext(), clone(c.Params("token")))
	if err != nil {
		return err
	}
	return c.JSON(v)
}

type invitationAccept struct {
	Name       string `json:"name"`
	Profession string `json:"profession"`
	RPPS       string `json:"rpps"`
	ADELI      string `json:"adeli"`
	Commune    string `json:"commune"`
	Password   string `json:"password"`
}

func (s *Server) acceptInvitation(c *fiber.Ctx) error {
	var in invitationAccept
	if len(c.Body()) > 0 {
		if err := decode(c, &in); err != nil {
			return err
		}
	}
	sess, _ := sessionOf(c)
	res, err := s.deps.Core.AcceptInvitation(c.UserContext(), clone(c.Params("token")), sess, core.AcceptInput{
		Profile: core.ProfileInput{
			Name: in.Name, Profession: model.Profession(in.Profession), RPPS: in.RPPS, ADELI: in.ADELI, Commune: in.Commune,
		},
		Password: in.Password,
	})
	if err != nil {
		return err
	}
	if res.Login.Token != "" {
		s.setSessionCookie(c, res.Login.Token, res.Login.ExpiresAt)
	}
	return c.JSON(fiber.Map{"user": res.Login.User, "csrf_token": res.Login.CSRFToken, "membership": res.Membership})
}

func (s *Server) listGroups(c *fiber.Ctx) error {
	sess, err := mustSession(c)
	if err != nil {
		return err
	}
	v, err := s.deps.Core.ListGroups(c.UserContext(), sess)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"groups": v})
}

type groupCreate struct {
	Name           string         `json:"name"`
	Description    string         `json:"description"`
	CPTSID         model.CPTSID   `json:"cpts_id"`
	InvitedCPTSIDs []model.CPTSID `json:"invited_cpts_ids"`
}

func (s *Server) createGroup(c *fiber.Ctx) error {
	sess, err := mustSession(c)
	if err != nil {
		return err
	}
	var in groupCreate
	if err := decode(c, &in); err != nil {
		return err
	}
	if !model.ValidID(string(in.CPTSID)) {
		return model.Invalid("cpts_id", "invalid_cpts", "Choisissez la CPTS qui porte le groupe.")
	}
	v, err := s.deps.Core.CreateGroup(c.UserContext(), sess, core.GroupInput{
		Name: in.Name, Description: in.Description, CPTSID: in.CPTSID, InvitedCPTS: in.InvitedCPTSIDs,
	})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"group": v})
}

func groupID(c *fiber.Ctx) (model.Session, model.GroupID, error) {
	sess, err := mustSession(c)
	if err != nil {
		return sess, "", err
	}
	id, err := idParam(c, "id")
	return sess, model.GroupID(id), err
}

func (s *Server) getGroup(c *fiber.Ctx) error {
	sess, id, err := groupID(c)
	if err != nil {
		return err
	}
	v, err := s.deps.Core.GetGroup(c.UserContext(), sess, id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"group": v})
}

type groupPatch struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
}

func (s *Server) updateGroup(c *fiber.Ctx) error {
	sess, id, err := groupID(c)
	if err != nil {
		return err
	}
	var in groupPatch
	if err := decode(c, &in); err != nil {
		return err
	}
	v, err := s.deps.Core.UpdateGroup(c.UserContext(), sess, id, core.GroupPatch(in))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"group": v})
}

type groupCPTS struct {
	CPTSID model.CPTSID `json:"cpts_id"`
}

func (s *Server) inviteCPTSToGroup(c *fiber.Ctx) error {
	sess, id, err := groupID(c)
	if err != nil {
		return err
	}
	var in groupCPTS
	if err := decode(c, &in); err != nil {
		return err
	}
	v, err := s.deps.Core.InviteCPTSToGroup(c.UserContext(), sess, id, in.CPTSID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"group": v})
}

func (s *Server) groupMembers(c *fiber.Ctx) error {
	sess, id, err := groupID(c)
	if err != nil {
		return err
	}
	v, err := s.deps.Core.GroupMembers(c.UserContext(), sess, id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"members": v})
}

type groupMemberAdd struct {
	UserID model.UserID `json:"user_id"`
	Role   model.Role   `json:"role"`
}

func (s *Server) addGroupMember(c *fiber.Ctx) error {
	sess, id, err := groupID(c)
	if err != nil {
		return err
	}
	var in groupMemberAdd
	if err := decode(c, &in); err != nil {
		return err
	}
	v, err := s.deps.Core.AddGroupMember(c.UserContext(), sess, id, in.UserID, in.Role)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"member": v})
}

func (s *Server) removeGroupMember(c *fiber.Ctx) error {
	sess, id, err := groupID(c)
	if err != nil {
		return err
	}
	uid, err := idParam(c, "user_id")
	if err != nil {
		return err
	}
	if err := s.deps.Core.RemoveGroupMember(c.UserContext(), sess, id, model.UserID(uid)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) listChannels(c *fiber.Ctx) error {
	sess, err := mustSession(c)
	if err != nil {
		return err
	}
	archived := c.Query("archived")
	v, err := s.deps.Core.ListChannels(c.UserContext(), sess, archived == "1" || archived == "true")
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"channels": v})
}

type channelCreate struct {
	Name       string            `json:"name"`
	Topic      string            `json:"topic"`
	CPTSID     model.CPTSID      `json:"cpts_id"`
	GroupID    model.GroupID     `json:"group_id"`
	Visibility model.Visibility  `json:"visibility"`
	Kind       model.ChannelKind `json:"kind"`
}

func (s *Server) createChannel(c *fiber.Ctx) error {
	sess, err := mustSession(c)
	if err != nil {
		return err
	}
	var in channelCreate
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.CPTSID != "" && !model.ValidID(string(in.CPTSID)) {
		return model.Invalid("cpts_id", "invalid_scope", "Cette CPTS est introuvable.")
	}
	if in.GroupID != "" && !model.ValidID(string(in.GroupID)) {
		return model.Invalid("group_id", "invalid_scope", "Ce groupe est introuvable.")
	}
	v, err := s.deps.Core.CreateChannel(c.UserContext(), sess, core.ChannelInput(in))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"channel": v})
}

func channelID(c *fiber.Ctx) (model.Session, model.ChannelID, error) {
	sess, err := mustSession(c)
	if err != nil {
		return sess, "", err
	}
	id, err := idParam(c, "id")
	return sess, model.ChannelID(id), err
}

func (s *Server) getChannel(c *fiber.Ctx) error {
	sess, id, err := channelID(c)
	if err != nil {
		return err
	}
	v, err := s.deps.Core.GetChannel(c.UserContext(), sess, id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"channel": v})
}

type channelPatch struct {
	Name     *string `json:"name"`
	Topic    *string `json:"topic"`
	Archived *bool   `json:"archived"`
}

func (s *Server) updateChannel(c *fiber.Ctx) error {
	sess, id, err := channelID(c)
	if err != nil {
		return err
	}
	var in channelPatch
	if err := decode(c, &in); err != nil {
		return err
	}
	v, err := s.deps.Core.UpdateChannel(c.UserContext(), sess, id, core.ChannelPatch(in))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"channel": v})
}

func (s *Server) joinChannel(c *fiber.Ctx) error {
	sess, id, err := channelID(c)
	if err != nil {
		return err
	}
	v, err := s.deps.Core.JoinChannel(c.UserContext(), sess, id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"channel": v})
}

func (s *Server) leaveChannel(c *fiber.Ctx) error {
	sess, id, err := channelID(c)
	if err != nil {
		return err
	}
	if err := s.deps.Core.LeaveChannel(c.UserContext(), sess, id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) channelMembers(c *fiber.Ctx) error {
	sess, id, err := channelID(c)
	if err != nil {
		return err
	}
	v, err := s.deps.Core.ChannelMembers(c.UserContext(), sess, id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"members": v})
}

type channelMemberAdd struct {
	UserID model.UserID `json:"user_id"`
}

func (s *Server) addChannelMember(c *fiber.Ctx) error {
	sess, id, err := channelID(c)
	if err != nil {
		return err
	}
	var in channelMemberAdd
	if err := decode(c, &in); err != nil {
		return err
	}
	v, err := s.deps.Core.AddChannelMember(c.UserContext(), sess, id, in.UserID)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"member": v})
}

func (s *Server) removeChannelMember(c *fiber.Ctx) error {
	sess, id, err := channelID(c)
	if err != nil {
		return err
	}
	uid, err := idParam(c, "user_id")
	if err != nil {
		return err
	}
	if err := s.deps.Core.RemoveChannelMember(c.UserContext(), sess, id, model.UserID(uid)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) directory(c *fiber.Ctx) error {
	sess, err := mustSession(c)
	if err != nil {
		return err
	}
	v, err := s.deps.Core.Directory(c.UserContext(), sess, core.DirectoryFilter{
		Profession: model.Profession(clone(c.Query("profession"))),
		Commune:    clone(c.Query("commune")),
		CPTSID:     model.CPTSID(clone(c.Query("cpts_id"))),
		Query:      clone(c.Query("q")),
	})
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"members": v})
}
