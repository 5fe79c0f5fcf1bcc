// Code generated from server/openapi.json by `npm run api-types` (openapi-typescript). DO NOT EDIT.
// Change the Go types, regenerate openapi.json (go test ./server -run TestOpenAPI -update), then this file.

export type paths = Record<string, never>;
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        AckEntry: {
            /** Format: date-time */
            at?: string;
            user: components["schemas"]["User"];
        };
        AckGroup: {
            acked: components["schemas"]["AckEntry"][] | null;
            label: string;
            pending: components["schemas"]["AckEntry"][] | null;
            profession: components["schemas"]["Profession"];
        };
        AckReport: {
            acked_count: number;
            cpts: components["schemas"]["CPTSRef"];
            pending_count: number;
            professions: components["schemas"]["AckGroup"][] | null;
            version: number;
        };
        ApiError: {
            code: string;
            field?: string;
            message: string;
        };
        /** @enum {string} */
        AuditAction: "cpts_created" | "invitation_created" | "invitation_revoked" | "invitation_accepted" | "member_validated" | "member_refused" | "member_removed" | "member_left" | "role_changed" | "group_member_added" | "group_member_removed" | "cpts_updated" | "admin_created";
        AuditEntry: {
            action: components["schemas"]["AuditAction"];
            actor_id: string;
            /** Format: date-time */
            at: string;
            cpts_id?: string;
            group_id?: string;
            id: string;
            invitation_id?: string;
            role?: components["schemas"]["Role"];
            target_id?: string;
        };
        AuditPage: {
            entries: components["schemas"]["AuditEntry"][] | null;
            next?: string;
        };
        Author: {
            commune?: string;
            id: string;
            name: string;
            profession: components["schemas"]["Profession"];
            profession_label: string;
        };
        CPTS: {
            can_manage: boolean;
            communes: string[] | null;
            /** Format: date-time */
            created_at: string;
            department: string;
            id: string;
            missions: components["schemas"]["Mission"][] | null;
            my_role?: components["schemas"]["Role"];
            my_status?: components["schemas"]["MembershipStatus"];
            name: string;
            pending_count: number;
            status: string;
        };
        CPTSOverview: {
            channels: number;
            communes: string[] | null;
            coordinators: number;
            /** Format: date-time */
            created_at: string;
            department: string;
            groups: number;
            id: string;
            members: number;
            missions: components["schemas"]["Mission"][] | null;
            name: string;
            pending: number;
            pending_invitations: number;
            status: string;
        };
        CPTSRef: {
            department?: string;
            id: string;
            name: string;
        };
        CalendarFeed: {
            active: boolean;
            /** Format: date-time */
            since?: string;
            token?: string;
            url?: string;
        };
        CampaignInfo: {
            code: string;
            label: string;
            theme: string;
            when: string;
        };
        CampaignOccurrence: {
            campaign: string;
            current: boolean;
            end: string;
            label: string;
            start: string;
            theme: string;
        };
        Channel: {
            archived: boolean;
            can_manage: boolean;
            can_post: boolean;
            cpts_id?: string;
            /** Format: date-time */
            created_at: string;
            created_by: string;
            group_id?: string;
            id: string;
            kind: components["schemas"]["ChannelKind"];
            member: boolean;
            name: string;
            post_refusal?: components["schemas"]["PostRefusal"];
            topic: string;
            visibility: components["schemas"]["Visibility"];
        };
        ChannelCreate: {
            cpts_id?: string;
            group_id?: string;
            /** @enum {string} */
            kind?: "standard" | "announcement";
            name: string;
            topic?: string;
            visibility?: components["schemas"]["Visibility"];
        };
        /** @enum {string} */
        ChannelKind: "standard" | "announcement" | "direct";
        ChannelMemberAdd: {
            user_id: string;
        };
        ChannelPatch: {
            archived?: boolean;
            name?: string;
            topic?: string;
            visibility?: components["schemas"]["Visibility"];
        };
        Conversation: {
            can_post: boolean;
            created_at: string;
            id: string;
            /** @enum {string} */
            kind: "direct";
            last_seq: number;
            name: string;
            participants: components["schemas"]["User"][] | null;
            post_refusal?: components["schemas"]["PostRefusal"];
        };
        ConversationOpen: {
            user_ids: string[] | null;
        };
        ConversationResponse: {
            conversation: components["schemas"]["Conversation"];
        };
        CptsCreate: {
            communes?: string[];
            department: string;
            missions?: components["schemas"]["Mission"][];
            name: string;
        };
        CptsPatch: {
            communes?: string[];
            department?: string;
            missions?: components["schemas"]["Mission"][];
            name?: string;
            status?: string;
        };
        DirectoryCPTS: {
            id: string;
            name: string;
            role: components["schemas"]["Role"];
        };
        DirectoryEntry: {
            commune?: string;
            cpts: components["schemas"]["DirectoryCPTS"][] | null;
            id: string;
            name: string;
            profession: components["schemas"]["Profession"];
            profession_label: string;
        };
        Edit: {
            body: string;
            /** Format: date-time */
            edited_at: string;
        };
        ErrorBody: {
            error: components["schemas"]["ApiError"];
        };
        EventInfo: {
            capacity: number;
            /** Format: date-time */
            ends_at: string;
            place?: string;
            /** Format: date-time */
            signup_deadline?: string;
            /** Format: date-time */
            starts_at: string;
            visio_url?: string;
        };
        EventInput: {
            capacity?: number;
            ends_at: string;
            place?: string;
            signup_deadline?: string;
            starts_at: string;
            visio_url?: string;
        };
        FacetCount: {
            count: number;
            value: string;
        };
        Facets: {
            campaigns: components["schemas"]["FacetCount"][] | null;
            cpts: components["schemas"]["FacetCount"][] | null;
            missions: components["schemas"]["FacetCount"][] | null;
            professions: components["schemas"]["FacetCount"][] | null;
            statuses: components["schemas"]["FacetCount"][] | null;
            types: components["schemas"]["FacetCount"][] | null;
        };
        FeedPage: {
            can_publish: boolean;
            next: number;
            pinned: components["schemas"]["Post"][];
            posts: components["schemas"]["Post"][];
        };
        FeedUnread: {
            cpts_id?: string;
            group_id?: string;
            last_seq: number;
            unread: number;
        };
        File: {
            content_type: string;
            /** Format: date-time */
            created_at: string;
            has_thumbnail: boolean;
            id: string;
            kind: components["schemas"]["Kind"];
            name: string;
            size: number;
            thumb_url?: string;
            uploader_id: string;
            url: string;
        };
        FollowedThread: {
            /** Format: date-time */
            last_reply_at?: string;
            reply_count: number;
            root: components["schemas"]["Message"];
            unread: number;
        };
        Group: {
            can_manage: boolean;
            cpts: components["schemas"]["CPTSRef"][] | null;
            cpts_ids: string[] | null;
            /** Format: date-time */
            created_at: string;
            created_by: string;
            description: string;
            id: string;
            inter_cpts: boolean;
            my_role?: components["schemas"]["Role"];
            name: string;
            owner_cpts_id: string;
        };
        GroupCPTS: {
            cpts_id: string;
        };
        GroupCreate: {
            cpts_id: string;
            description?: string;
            invited_cpts_ids?: string[];
            name: string;
        };
        GroupMemberAdd: {
            /** @enum {string} */
            role?: "coordinateur" | "membre";
            user_id: string;
        };
        GroupPatch: {
            description?: string;
            name?: string;
        };
        Home: {
            mention_count: number;
            mentions: components["schemas"]["HomeMention"][] | null;
            pending: components["schemas"]["PendingMember"][] | null;
            threads: components["schemas"]["HomeThread"][] | null;
        };
        HomeMention: {
            channel_kind: components["schemas"]["ChannelKind"];
            channel_name: string;
            excerpt: string;
            message: components["schemas"]["Message"];
        };
        HomeThread: {
            channel_kind: components["schemas"]["ChannelKind"];
            channel_name: string;
            excerpt: string;
            /** Format: date-time */
            last_reply_at?: string;
            reply_count: number;
            root: components["schemas"]["Message"];
            unread: number;
        };
        Invitation: {
            cpts_id: string;
            /** Format: date-time */
            created_at: string;
            email: string;
            /** Format: date-time */
            expires_at: string;
            id: string;
            role: components["schemas"]["Role"];
        };
        InvitationAccept: {
            adeli?: string;
            commune?: string;
            name?: string;
            password?: string;
            profession?: components["schemas"]["Profession"];
            rpps?: string;
        };
        InvitationAccepted: {
            csrf_token: string;
            membership: components["schemas"]["Membership"];
            user: components["schemas"]["User"];
        };
        InvitationCreate: {
            email: string;
            role: components["schemas"]["Role"];
        };
        InvitationInfo: {
            cpts_name: string;
            email: string;
            existing_account: boolean;
            /** Format: date-time */
            expires_at: string;
            invited_by_name: string;
            role: components["schemas"]["Role"];
        };
        /** @enum {string} */
        Kind: "image" | "pdf" | "text" | "document";
        LoginRequest: {
            email: string;
            password: string;
        };
        LoginResponse: {
            csrf_token: string;
            user: components["schemas"]["User"];
        };
        Material: {
            audience: string;
            author_id: string;
            campaign?: string;
            campaign_label?: string;
            can_edit: boolean;
            cpts_id: string;
            cpts_name: string;
            /** Format: date-time */
            created_at: string;
            current: boolean;
            /** Format: date-time */
            deleted_at?: string;
            description: string;
            file?: components["schemas"]["File"];
            file_id?: string;
            id: string;
            kind: string;
            language: string;
            shared: boolean;
            shared_with?: string[];
            theme: string;
            theme_label: string;
            title: string;
            /** Format: date-time */
            updated_at: string;
            url?: string;
            valid_from?: string;
            valid_to?: string;
            visibility: string;
        };
        MaterialCatalog: {
            campaigns: components["schemas"]["CampaignInfo"][] | null;
            themes: components["schemas"]["ThemeInfo"][] | null;
            upcoming: components["schemas"]["CampaignOccurrence"][] | null;
        };
        MaterialInput: {
            audience: string;
            campaign?: string;
            cpts_id: string;
            description?: string;
            file_id?: string;
            language?: string;
            shared_with?: string[];
            theme: string;
            title: string;
            url?: string;
            valid_from?: string;
            valid_to?: string;
            visibility?: string;
        };
        MaterialPage: {
            items: components["schemas"]["Material"][] | null;
            next?: string;
            total: number;
        };
        MaterialPatch: {
            audience?: string;
            campaign?: string;
            description?: string;
            language?: string;
            shared_with?: string[];
            theme?: string;
            title?: string;
            url?: string;
            valid_from?: string;
            valid_to?: string;
            visibility?: string;
        };
        Me: {
            csrf_token: string;
            memberships: components["schemas"]["Membership"][] | null;
            user: components["schemas"]["User"];
        };
        Member: {
            created_at?: string;
            role?: components["schemas"]["Role"];
            role_label?: string;
            status?: components["schemas"]["MembershipStatus"];
            user: components["schemas"]["User"];
        };
        Membership: {
            cpts_id: string;
            cpts_name: string;
            pending_count: number;
            role: components["schemas"]["Role"];
            role_label: string;
            status: components["schemas"]["MembershipStatus"];
        };
        /** @enum {string} */
        MembershipStatus: "pending" | "active";
        Message: {
            author?: components["schemas"]["Author"];
            author_id: string;
            body: string;
            channel_id: string;
            client_id: string;
            /** Format: date-time */
            created_at: string;
            deleted: boolean;
            /** Format: date-time */
            edited_at?: string;
            files: components["schemas"]["File"][];
            html: string;
            id: string;
            /** Format: date-time */
            last_reply_at?: string;
            mention_channel: boolean;
            mentions: string[] | null;
            reactions: components["schemas"]["Reaction"][] | null;
            reply_count: number;
            seq: number;
            thread_id?: string;
        };
        MessagePage: {
            last_seq: number;
            messages: components["schemas"]["Message"][] | null;
        };
        MessagePatch: {
            body: string;
        };
        MessagePost: {
            body: string;
            client_id: string;
            file_ids?: string[];
            thread_id?: string;
        };
        MessageResponse: {
            message: components["schemas"]["Message"];
        };
        MetaResponse: {
            accepted_files: string;
            max_upload_bytes: number;
            missions: components["schemas"]["MissionInfo"][];
            professions: components["schemas"]["ProfessionInfo"][];
            roles: components["schemas"]["RoleInfo"][];
        };
        /** @enum {string} */
        Mission: "acces_aux_soins" | "parcours" | "prevention" | "qualite" | "stagiaires" | "crise";
        MissionInfo: {
            code: components["schemas"]["Mission"];
            label: string;
        };
        Parsed: {
            authors?: string[];
            campaigns?: string[];
            channels?: string[];
            cpts?: string[];
            excluded?: string[];
            /** Format: date-time */
            from?: string;
            groups?: string[];
            invalid?: string[];
            missions?: string[];
            phrases?: string[];
            professions?: string[];
            statuses?: string[];
            text: string;
            /** Format: date-time */
            to?: string;
            truncated?: boolean;
            types?: string[];
            unknown?: string[];
            words?: string[];
        };
        PasswordChange: {
            current_password: string;
            new_password: string;
        };
        PasswordSetup: {
            password: string;
        };
        PasswordSetupInfo: {
            email: string;
            /** Format: date-time */
            expires_at: string;
            name: string;
        };
        PendingMember: {
            cpts_id: string;
            cpts_name: string;
            member: components["schemas"]["Member"];
        };
        Post: {
            author?: components["schemas"]["Author"];
            author_id: string;
            body: string;
            can_manage: boolean;
            can_see_rsvps: boolean;
            comments_channel_id: string;
            cpts_id?: string;
            /** Format: date-time */
            created_at: string;
            deleted: boolean;
            /** Format: date-time */
            edited_at?: string;
            event?: components["schemas"]["EventInfo"];
            files: components["schemas"]["File"][] | null;
            group_id?: string;
            html: string;
            id: string;
            kind: string;
            my_rsvp?: string;
            pinned: boolean;
            reactions: components["schemas"]["Reaction"][] | null;
            rsvp?: components["schemas"]["RSVPCounts"];
            rsvp_open: boolean;
            seats_left?: number;
            seq: number;
            title: string;
        };
        PostInput: {
            body?: string;
            cpts_id?: string;
            event?: components["schemas"]["EventInput"];
            file_ids?: string[];
            group_id?: string;
            kind: string;
            title: string;
        };
        PostPatch: {
            body?: string;
            event?: components["schemas"]["EventInput"];
            title?: string;
        };
        /** @enum {string} */
        PostRefusal: "archived" | "not_member" | "read_only" | "announcement_only" | "forbidden";
        PresenceResponse: {
            online: string[];
        };
        /** @enum {string} */
        Profession: "medecin_generaliste" | "medecin_specialiste" | "infirmier" | "pharmacien" | "masseur_kinesitherapeute" | "sage_femme" | "chirurgien_dentiste" | "orthophoniste" | "pedicure_podologue" | "orthoptiste" | "psychologue" | "dieteticien" | "travailleur_social" | "medico_social" | "coordination" | "autre";
        ProfessionInfo: {
            code: components["schemas"]["Profession"];
            health: boolean;
            label: string;
            label_feminine: string;
            label_masculine: string;
            mention: string;
        };
        ProfileCPTS: {
            id: string;
            name: string;
            role: components["schemas"]["Role"];
            role_label: string;
            status: components["schemas"]["MembershipStatus"];
        };
        ProfileCard: {
            can_message: boolean;
            cpts: components["schemas"]["ProfileCPTS"][] | null;
            user: components["schemas"]["User"];
        };
        ProfilePatch: {
            adeli?: string;
            commune?: string;
            name?: string;
            profession?: components["schemas"]["Profession"];
            rpps?: string;
            title_form?: components["schemas"]["TitleForm"];
        };
        Protocol: {
            acked: boolean;
            author_id: string;
            can: components["schemas"]["ProtocolRights"];
            cpts_id: string;
            cpts_name: string;
            /** Format: date-time */
            created_at: string;
            current_version: number;
            id: string;
            missions: components["schemas"]["Mission"][] | null;
            professions: components["schemas"]["Profession"][] | null;
            rev: number;
            review_date?: string;
            review_due: boolean;
            review_overdue: boolean;
            reviewer_ids?: string[];
            shared: boolean;
            shared_with?: string[];
            status: string;
            status_label: string;
            title: string;
            /** Format: date-time */
            updated_at: string;
            /** Format: date-time */
            validated_at?: string;
            validated_by?: string;
            validated_version: number;
            visibility: string;
        };
        ProtocolAck: {
            version: number;
        };
        ProtocolCreate: {
            body?: string;
            cpts_id: string;
            missions?: components["schemas"]["Mission"][];
            pdf_file_id?: string;
            professions?: components["schemas"]["Profession"][];
            review_date?: string;
            shared_with?: string[];
            title: string;
            visibility?: string;
        };
        ProtocolDetail: {
            acked: boolean;
            author: components["schemas"]["User"];
            author_id: string;
            can: components["schemas"]["ProtocolRights"];
            cpts_id: string;
            cpts_name: string;
            /** Format: date-time */
            created_at: string;
            current_version: number;
            id: string;
            missions: components["schemas"]["Mission"][] | null;
            pdf?: components["schemas"]["File"];
            professions: components["schemas"]["Profession"][] | null;
            rev: number;
            review_date?: string;
            review_due: boolean;
            review_overdue: boolean;
            reviewer_ids?: string[];
            reviewers: components["schemas"]["Reviewer"][] | null;
            reviews: components["schemas"]["Review"][] | null;
            shared: boolean;
            shared_with?: string[];
            status: string;
            status_label: string;
            suggested_reviewers: components["schemas"]["User"][] | null;
            title: string;
            /** Format: date-time */
            updated_at: string;
            /** Format: date-time */
            validated_at?: string;
            validated_by?: string;
            validated_version: number;
            version: components["schemas"]["ProtocolVersion"];
            visibility: string;
        };
        ProtocolPage: {
            items: components["schemas"]["Protocol"][] | null;
            next?: string;
            total: number;
        };
        ProtocolPatch: {
            base_version?: number;
            body?: string;
            missions?: components["schemas"]["Mission"][];
            note?: string;
            pdf_file_id?: string;
            professions?: components["schemas"]["Profession"][];
            review_date?: string;
            shared_with?: string[];
            title?: string;
            visibility?: string;
        };
        ProtocolPreview: {
            html: string;
        };
        ProtocolPreviewRequest: {
            body: string;
        };
        ProtocolReview: {
            comment?: string;
            decision: string;
            version?: number;
        };
        ProtocolRights: {
            ack: boolean;
            archive: boolean;
            edit: boolean;
            review: boolean;
            see_acks: boolean;
            submit: boolean;
            validate: boolean;
        };
        ProtocolSubmit: {
            reviewer_ids: string[] | null;
        };
        ProtocolTemplate: {
            body: string;
        };
        ProtocolVersion: {
            author_id: string;
            body: string;
            /** Format: date-time */
            created_at: string;
            html: string;
            n: number;
            note?: string;
            pdf_file_id?: string;
            protocol_id: string;
            text: string;
        };
        RSVPCounts: {
            non: number;
            oui: number;
            peut_etre: number;
        };
        RSVPEntry: {
            adeli?: string;
            answer: string;
            /** Format: date-time */
            at: string;
            commune?: string;
            name: string;
            profession: components["schemas"]["Profession"];
            profession_label: string;
            rpps?: string;
            user_id: string;
        };
        RSVPList: {
            counts: components["schemas"]["RSVPCounts"];
            professions: components["schemas"]["RSVPProfession"][];
            title: string;
        };
        RSVPProfession: {
            counts: components["schemas"]["RSVPCounts"];
            entries: components["schemas"]["RSVPEntry"][];
            label: string;
            profession: components["schemas"]["Profession"];
        };
        RSVPState: {
            answer: string;
            counts: components["schemas"]["RSVPCounts"];
            seats_left?: number;
        };
        Range: {
            end: number;
            start: number;
        };
        Reaction: {
            count: number;
            emoji: string;
            user_ids: string[] | null;
        };
        RemindResult: {
            sent: number;
        };
        Review: {
            /** Format: date-time */
            at: string;
            comment?: string;
            decision: string;
            protocol_id: string;
            reviewer: components["schemas"]["User"];
            reviewer_id: string;
            version: number;
        };
        Reviewer: {
            /** Format: date-time */
            at?: string;
            comment?: string;
            decision?: string;
            user: components["schemas"]["User"];
        };
        /** @enum {string} */
        Role: "coordinateur" | "membre" | "partenaire";
        RoleInfo: {
            code: components["schemas"]["Role"];
            label: string;
        };
        RolePatch: {
            role: components["schemas"]["Role"];
        };
        RsvpRequest: {
            answer: string;
        };
        SearchHit: {
            author_id?: string;
            author_name?: string;
            cpts_id?: string;
            /** Format: date-time */
            created_at?: string;
            excerpt?: string;
            highlights: components["schemas"]["Range"][] | null;
            id: string;
            location?: components["schemas"]["SearchLocation"];
            score: number;
            title?: string;
            title_highlights: components["schemas"]["Range"][] | null;
            type: string;
        };
        SearchLocation: {
            channel_id: string;
            channel_name?: string;
            direct?: boolean;
            seq: number;
            thread_id?: string;
        };
        SearchResult: {
            facets: components["schemas"]["Facets"];
            hits: components["schemas"]["SearchHit"][] | null;
            page: number;
            parsed: components["schemas"]["Parsed"];
            per_page: number;
            total: number;
        };
        SeqBody: {
            seq: number;
        };
        ThemeInfo: {
            code: string;
            label: string;
        };
        Thread: {
            following: boolean;
            replies: components["schemas"]["Message"][] | null;
            root: components["schemas"]["Message"];
        };
        ThreadUnread: {
            channel_id: string;
            following: boolean;
            reply_count: number;
            thread_id: string;
            unread: number;
        };
        /** @enum {string} */
        TitleForm: "feminin" | "masculin" | "inclusif";
        Unread: {
            channel_id: string;
            last_seq: number;
            mentions: number;
            read_seq: number;
            unread: number;
        };
        UnreadResponse: {
            channels: components["schemas"]["Unread"][] | null;
            threads: components["schemas"]["ThreadUnread"][] | null;
        };
        User: {
            adeli?: string;
            admin?: boolean;
            commune?: string;
            /** Format: date-time */
            created_at?: string;
            email?: string;
            id: string;
            name: string;
            profession: components["schemas"]["Profession"];
            profession_label: string;
            rpps?: string;
            title_form?: components["schemas"]["TitleForm"];
        };
        Version: {
            author: components["schemas"]["User"];
            /** Format: date-time */
            created_at: string;
            current: boolean;
            n: number;
            note?: string;
            validated: boolean;
        };
        /** @enum {string} */
        Visibility: "public" | "private";
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
