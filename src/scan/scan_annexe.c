/* The attributes of the DICOM PS3.15 Annex E Basic Application Level
 * Confidentiality Profile (Table E.1-1) that identify a patient, the staff,
 * the institution or the equipment, with the profile's action:
 *   X remove, Z empty or dummy, D dummy, U replace UID (consistently),
 *   combined forms such as X/Z/D (remove, empty or dummy).
 * Each entry also carries a class (scan_internal.h) to which the policy
 * gives a default reaction: a value left in a name, an ID, a birth date or
 * a study date is a finding; a UID is only listed (action U keeps one, just
 * replaced).
 *
 * The table is sorted by (group, element); tests/unit/test_scan_policy.c
 * checks the order, since the lookup is a binary search. Repeating groups
 * (60xx overlays, 50xx curves) come after the sorted part. */
#include "scan/scan_internal.h"

#include <string.h>

#define I SCAN_CLASS_IDENTITY
#define B SCAN_CLASS_BIRTH
#define D SCAN_CLASS_DATE
#define T SCAN_CLASS_TIME
#define N SCAN_CLASS_INSTITUTION
#define V SCAN_CLASS_DEVICE
#define U SCAN_CLASS_UID
#define G SCAN_CLASS_DEMOGRAPHIC
#define S SCAN_CLASS_DESCRIPTOR
#define Q SCAN_CLASS_SEQUENCE
#define E(g, e, kw, act, vr, cls) {0x##g, 0x##e, 0xFFFF, kw, act, vr, cls}
#define R(g, e, kw, act, vr, cls) {0x##g, 0x##e, 0xFF00, kw, act, vr, cls}

static const scan_annexe_entry TABLE[] = {
    E(0002, 0003, "MediaStorageSOPInstanceUID", "U", "UI", U),
    E(0004, 1511, "ReferencedSOPInstanceUIDInFile", "U", "UI", U),
    E(0008, 0012, "InstanceCreationDate", "X/D", "DA", D),
    E(0008, 0013, "InstanceCreationTime", "X/Z/D", "TM", T),
    E(0008, 0014, "InstanceCreatorUID", "U", "UI", U),
    E(0008, 0015, "InstanceCoercionDateTime", "X", "DT", D),
    E(0008, 0017, "AcquisitionUID", "U", "UI", U),
    E(0008, 0018, "SOPInstanceUID", "U", "UI", U),
    E(0008, 0019, "PyramidUID", "U", "UI", U),
    E(0008, 0020, "StudyDate", "Z", "DA", D),
    E(0008, 0021, "SeriesDate", "X/D", "DA", D),
    E(0008, 0022, "AcquisitionDate", "X/D", "DA", D),
    E(0008, 0023, "ContentDate", "X/D", "DA", D),
    E(0008, 0024, "OverlayDate", "X", "DA", D),
    E(0008, 0025, "CurveDate", "X", "DA", D),
    E(0008, 002A, "AcquisitionDateTime", "X/D", "DT", D),
    E(0008, 0030, "StudyTime", "Z", "TM", T),
    E(0008, 0031, "SeriesTime", "X/D", "TM", T),
    E(0008, 0032, "AcquisitionTime", "X/D", "TM", T),
    E(0008, 0033, "ContentTime", "X/D", "TM", T),
    E(0008, 0034, "OverlayTime", "X", "TM", T),
    E(0008, 0035, "CurveTime", "X", "TM", T),
    E(0008, 0050, "AccessionNumber", "Z", "SH", I),
    E(0008, 0051, "IssuerOfAccessionNumberSequence", "X", "SQ", Q),
    E(0008, 0058, "FailedSOPInstanceUIDList", "U", "UI", U),
    E(0008, 0080, "InstitutionName", "X/Z/D", "LO", N),
    E(0008, 0081, "InstitutionAddress", "X", "ST", N),
    E(0008, 0082, "InstitutionCodeSequence", "X/Z/D", "SQ", Q),
    E(0008, 0090, "ReferringPhysicianName", "Z", "PN", I),
    E(0008, 0092, "ReferringPhysicianAddress", "X", "ST", I),
    E(0008, 0094, "ReferringPhysicianTelephoneNumbers", "X", "SH", I),
    E(0008, 0096, "ReferringPhysicianIdentificationSequence", "X", "SQ", Q),
    E(0008, 009C, "ConsultingPhysicianName", "Z", "PN", I),
    E(0008, 009D, "ConsultingPhysicianIdentificationSequence", "X", "SQ", Q),
    E(0008, 0201, "TimezoneOffsetFromUTC", "X", "SH", G),
    E(0008, 1010, "StationName", "X/Z/D", "SH", N),
    E(0008, 1030, "StudyDescription", "X", "LO", S),
    E(0008, 103E, "SeriesDescription", "X", "LO", S),
    E(0008, 1040, "InstitutionalDepartmentName", "X", "LO", N),
    E(0008, 1041, "InstitutionalDepartmentTypeCodeSequence", "X", "SQ", Q),
    E(0008, 1048, "PhysiciansOfRecord", "X", "PN", I),
    E(0008, 1049, "PhysiciansOfRecordIdentificationSequence", "X", "SQ", Q),
    E(0008, 1050, "PerformingPhysicianName", "X", "PN", I),
    E(0008, 1052, "PerformingPhysicianIdentificationSequence", "X", "SQ", Q),
    E(0008, 1060, "NameOfPhysiciansReadingStudy", "X", "PN", I),
    E(0008, 1062, "PhysiciansReadingStudyIdentificationSequence", "X", "SQ", Q),
    E(0008, 1070, "OperatorsName", "X/Z/D", "PN", I),
    E(0008, 1072, "OperatorIdentificationSequence", "X/D", "SQ", Q),
    E(0008, 1080, "AdmittingDiagnosesDescription", "X", "LO", S),
    E(0008, 1084, "AdmittingDiagnosesCodeSequence", "X", "SQ", Q),
    E(0008, 1110, "ReferencedStudySequence", "X/Z", "SQ", Q),
    E(0008, 1111, "ReferencedPerformedProcedureStepSequence", "X/Z/D", "SQ", Q),
    E(0008, 1120, "ReferencedPatientSequence", "X", "SQ", Q),
    E(0008, 1140, "ReferencedImageSequence", "X/Z/U", "SQ", Q),
    E(0008, 1155, "ReferencedSOPInstanceUID", "U", "UI", U),
    E(0008, 1195, "TransactionUID", "U", "UI", U),
    E(0008, 1250, "RelatedSeriesSequence", "X", "SQ", Q),
    E(0008, 2111, "DerivationDescription", "X", "ST", S),
    E(0008, 3010, "IrradiationEventUID", "U", "UI", U),
    E(0008, 4000, "IdentifyingComments", "X", "LT", S),
    E(0008, 9123, "CreatorVersionUID", "U", "UI", U),
    E(0010, 0010, "PatientName", "Z", "PN", I),
    E(0010, 0020, "PatientID", "Z", "LO", I),
    E(0010, 0021, "IssuerOfPatientID", "X", "LO", I),
    E(0010, 0024, "IssuerOfPatientIDQualifiersSequence", "X", "SQ", Q),
    E(0010, 0030, "PatientBirthDate", "Z", "DA", B),
    E(0010, 0032, "PatientBirthTime", "X", "TM", B),
    E(0010, 0033, "PatientBirthDateInAlternativeCalendar", "X", "LO", B),
    E(0010, 0034, "PatientDeathDateInAlternativeCalendar", "X", "LO", D),
    E(0010, 0035, "PatientAlternativeCalendar", "X", "CS", G),
    E(0010, 0040, "PatientSex", "Z", "CS", G),
    E(0010, 0050, "PatientInsurancePlanCodeSequence", "X", "SQ", Q),
    E(0010, 0101, "PatientPrimaryLanguageCodeSequence", "X", "SQ", Q),
    E(0010, 0102, "PatientPrimaryLanguageModifierCodeSequence", "X", "SQ", Q),
    E(0010, 1000, "OtherPatientIDs", "X", "LO", I),
    E(0010, 1001, "OtherPatientNames", "X", "PN", I),
    E(0010, 1002, "OtherPatientIDsSequence", "X", "SQ", Q),
    E(0010, 1005, "PatientBirthName", "X", "PN", I),
    E(0010, 1010, "PatientAge", "X", "AS", G),
    E(0010, 1020, "PatientSize", "X", "DS", G),
    E(0010, 1030, "PatientWeight", "X", "DS", G),
    E(0010, 1040, "PatientAddress", "X", "LO", I),
    E(0010, 1050, "InsurancePlanIdentification", "X", "LO", I),
    E(0010, 1060, "PatientMotherBirthName", "X", "PN", I),
    E(0010, 1080, "MilitaryRank", "X", "LO", I),
    E(0010, 1081, "BranchOfService", "X", "LO", I),
    E(0010, 1090, "MedicalRecordLocator", "X", "LO", I),
    E(0010, 1100, "ReferencedPatientPhotoSequence", "X", "SQ", Q),
    E(0010, 2000, "MedicalAlerts", "X", "LO", S),
    E(0010, 2110, "Allergies", "X", "LO", S),
    E(0010, 2150, "CountryOfResidence", "X", "LO", I),
    E(0010, 2152, "RegionOfResidence", "X", "LO", I),
    E(0010, 2154, "PatientTelephoneNumbers", "X", "SH", I),
    E(0010, 2155, "PatientTelecomInformation", "X", "LT", I),
    E(0010, 2160, "EthnicGroup", "X", "SH", G),
    E(0010, 2180, "Occupation", "X", "SH", I),
    E(0010, 21A0, "SmokingStatus", "X", "CS", G),
    E(0010, 21B0, "AdditionalPatientHistory", "X", "LT", S),
    E(0010, 21C0, "PregnancyStatus", "X", "US", G),
    E(0010, 21D0, "LastMenstrualDate", "X", "DA", D),
    E(0010, 21F0, "PatientReligiousPreference", "X", "LO", G),
    E(0010, 2203, "PatientSexNeutered", "X/Z", "CS", G),
    E(0010, 2297, "ResponsiblePerson", "X", "PN", I),
    E(0010, 2299, "ResponsibleOrganization", "X", "LO", I),
    E(0010, 4000, "PatientComments", "X", "LT", S),
    E(0012, 0010, "ClinicalTrialSponsorName", "D", "LO", N),
    E(0012, 0020, "ClinicalTrialProtocolID", "D", "LO", S),
    E(0012, 0021, "ClinicalTrialProtocolName", "Z", "LO", S),
    E(0012, 0030, "ClinicalTrialSiteID", "Z", "LO", N),
    E(0012, 0031, "ClinicalTrialSiteName", "Z", "LO", N),
    E(0012, 0040, "ClinicalTrialSubjectID", "D", "LO", I),
    E(0012, 0042, "ClinicalTrialSubjectReadingID", "D", "LO", I),
    E(0012, 0050, "ClinicalTrialTimePointID", "Z", "LO", S),
    E(0012, 0051, "ClinicalTrialTimePointDescription", "X", "ST", S),
    E(0012, 0060, "ClinicalTrialCoordinatingCenterName", "Z", "LO", N),
    E(0012, 0071, "ClinicalTrialSeriesID", "X", "LO", S),
    E(0012, 0072, "ClinicalTrialSeriesDescription", "X", "LO", S),
    E(0012, 0081, "ClinicalTrialProtocolEthicsCommitteeName", "D", "LO", N),
    E(0012, 0082, "ClinicalTrialProtocolEthicsCommitteeApprovalNumber", "X", "LO", S),
    E(0018, 0010, "ContrastBolusAgent", "Z/D", "LO", S),
    E(0018, 1000, "DeviceSerialNumber", "X/Z/D", "LO", V),
    E(0018, 1002, "DeviceUID", "U", "UI", U),
    E(0018, 1004, "PlateID", "X", "LO", V),
    E(0018, 1005, "GeneratorID", "X", "LO", V),
    E(0018, 1007, "CassetteID", "X", "LO", V),
    E(0018, 1008, "GantryID", "X", "LO", V),
    E(0018, 1009, "UniqueDeviceIdentifier", "X", "UT", V),
    E(0018, 100A, "UDISequence", "X", "SQ", Q),
    E(0018, 100B, "ManufacturerDeviceClassUID", "U", "UI", U),
    E(0018, 1012, "DateOfSecondaryCapture", "X/D", "DA", D),
    E(0018, 1014, "TimeOfSecondaryCapture", "X/D", "TM", T),
    E(0018, 1030, "ProtocolName", "X/D", "LO", S),
    E(0018, 1042, "ContrastBolusStartTime", "X", "TM", T),
    E(0018, 1043, "ContrastBolusStopTime", "X", "TM", T),
    E(0018, 1072, "RadiopharmaceuticalStartTime", "X", "TM", T),
    E(0018, 1073, "RadiopharmaceuticalStopTime", "X", "TM", T),
    E(0018, 1078, "RadiopharmaceuticalStartDateTime", "X", "DT", D),
    E(0018, 1079, "RadiopharmaceuticalStopDateTime", "X", "DT", D),
    E(0018, 1200, "DateOfLastCalibration", "X", "DA", D),
    E(0018, 1201, "TimeOfLastCalibration", "X", "TM", T),
    E(0018, 1400, "AcquisitionDeviceProcessingDescription", "X/D", "LO", S),
    E(0018, 4000, "AcquisitionComments", "X", "LT", S),
    E(0018, 700A, "DetectorID", "X/D", "SH", V),
    E(0018, 9424, "AcquisitionProtocolDescription", "X", "LT", S),
    E(0018, 9516, "StartAcquisitionDateTime", "X/D", "DT", D),
    E(0018, 9517, "EndAcquisitionDateTime", "X/D", "DT", D),
    E(0018, 9623, "FunctionalSyncPulse", "X/D", "DT", D),
    E(0018, 9701, "DecayCorrectionDateTime", "X/D", "DT", D),
    E(0018, A003, "ContributionDescription", "X", "ST", S),
    E(0020, 000D, "StudyInstanceUID", "U", "UI", U),
    E(0020, 000E, "SeriesInstanceUID", "U", "UI", U),
    E(0020, 0010, "StudyID", "Z", "SH", I),
    E(0020, 0052, "FrameOfReferenceUID", "U", "UI", U),
    E(0020, 0200, "SynchronizationFrameOfReferenceUID", "U", "UI", U),
    E(0020, 4000, "ImageComments", "X", "LT", S),
    E(0020, 9158, "FrameComments", "X", "LT", S),
    E(0020, 9161, "ConcatenationUID", "U", "UI", U),
    E(0020, 9164, "DimensionOrganizationUID", "U", "UI", U),
    E(0028, 1199, "PaletteColorLookupTableUID", "U", "UI", U),
    E(0028, 1214, "LargePaletteColorLookupTableUID", "U", "UI", U),
    E(0028, 4000, "ImagePresentationComments", "X", "LT", S),
    E(0032, 0012, "StudyIDIssuer", "X", "LO", I),
    E(0032, 0032, "StudyVerifiedDate", "X", "DA", D),
    E(0032, 0033, "StudyVerifiedTime", "X", "TM", T),
    E(0032, 0034, "StudyReadDate", "X", "DA", D),
    E(0032, 0035, "StudyReadTime", "X", "TM", T),
    E(0032, 1000, "ScheduledStudyStartDate", "X", "DA", D),
    E(0032, 1001, "ScheduledStudyStartTime", "X", "TM", T),
    E(0032, 1010, "ScheduledStudyStopDate", "X", "DA", D),
    E(0032, 1011, "ScheduledStudyStopTime", "X", "TM", T),
    E(0032, 1020, "ScheduledStudyLocation", "X", "LO", N),
    E(0032, 1021, "ScheduledStudyLocationAETitle", "X", "AE", N),
    E(0032, 1030, "ReasonForStudy", "X", "LO", S),
    E(0032, 1032, "RequestingPhysician", "X", "PN", I),
    E(0032, 1033, "RequestingService", "X", "LO", S),
    E(0032, 1040, "StudyArrivalDate", "X", "DA", D),
    E(0032, 1041, "StudyArrivalTime", "X", "TM", T),
    E(0032, 1050, "StudyCompletionDate", "X", "DA", D),
    E(0032, 1051, "StudyCompletionTime", "X", "TM", T),
    E(0032, 1060, "RequestedProcedureDescription", "X/Z", "LO", S),
    E(0032, 1070, "RequestedContrastAgent", "X", "LO", S),
    E(0032, 4000, "StudyComments", "X", "LT", S),
    E(0038, 0004, "ReferencedPatientAliasSequence", "X", "SQ", Q),
    E(0038, 0010, "AdmissionID", "X", "LO", I),
    E(0038, 0011, "IssuerOfAdmissionID", "X", "LO", I),
    E(0038, 001A, "ScheduledAdmissionDate", "X", "DA", D),
    E(0038, 001B, "ScheduledAdmissionTime", "X", "TM", T),
    E(0038, 001C, "ScheduledDischargeDate", "X", "DA", D),
    E(0038, 001D, "ScheduledDischargeTime", "X", "TM", T),
    E(0038, 001E, "ScheduledPatientInstitutionResidence", "X", "LO", I),
    E(0038, 0020, "AdmittingDate", "X", "DA", D),
    E(0038, 0021, "AdmittingTime", "X", "TM", T),
    E(0038, 0030, "DischargeDate", "X", "DA", D),
    E(0038, 0032, "DischargeTime", "X", "TM", T),
    E(0038, 0040, "DischargeDiagnosisDescription", "X", "LO", S),
    E(0038, 0060, "ServiceEpisodeID", "X", "LO", I),
    E(0038, 0061, "IssuerOfServiceEpisodeID", "X", "LO", I),
    E(0038, 0062, "ServiceEpisodeDescription", "X", "LO", S),
    E(0038, 0300, "CurrentPatientLocation", "X", "LO", I),
    E(0038, 0400, "PatientInstitutionResidence", "X", "LO", I),
    E(0038, 0500, "PatientState", "X", "LO", S),
    E(0038, 4000, "VisitComments", "X", "LT", S),
    E(0040, 0001, "ScheduledStationAETitle", "X", "AE", N),
    E(0040, 0002, "ScheduledProcedureStepStartDate", "X", "DA", D),
    E(0040, 0003, "ScheduledProcedureStepStartTime", "X", "TM", T),
    E(0040, 0004, "ScheduledProcedureStepEndDate", "X", "DA", D),
    E(0040, 0005, "ScheduledProcedureStepEndTime", "X", "TM", T),
    E(0040, 0006, "ScheduledPerformingPhysicianName", "X", "PN", I),
    E(0040, 0007, "ScheduledProcedureStepDescription", "X", "LO", S),
    E(0040, 0009, "ScheduledProcedureStepID", "X", "SH", I),
    E(0040, 0010, "ScheduledStationName", "X", "SH", N),
    E(0040, 0011, "ScheduledProcedureStepLocation", "X", "SH", N),
    E(0040, 0241, "PerformedStationAETitle", "X", "AE", N),
    E(0040, 0242, "PerformedStationName", "X", "SH", N),
    E(0040, 0243, "PerformedLocation", "X", "SH", N),
    E(0040, 0244, "PerformedProcedureStepStartDate", "X", "DA", D),
    E(0040, 0245, "PerformedProcedureStepStartTime", "X", "TM", T),
    E(0040, 0250, "PerformedProcedureStepEndDate", "X", "DA", D),
    E(0040, 0251, "PerformedProcedureStepEndTime", "X", "TM", T),
    E(0040, 0253, "PerformedProcedureStepID", "X", "SH", I),
    E(0040, 0254, "PerformedProcedureStepDescription", "X", "LO", S),
    E(0040, 0275, "RequestAttributesSequence", "X", "SQ", Q),
    E(0040, 0280, "CommentsOnThePerformedProcedureStep", "X", "ST", S),
    E(0040, 0555, "AcquisitionContextSequence", "X", "SQ", Q),
    E(0040, 1001, "RequestedProcedureID", "X", "SH", I),
    E(0040, 1010, "NamesOfIntendedRecipientsOfResults", "X", "PN", I),
    E(0040, 1101, "PersonIdentificationCodeSequence", "D", "SQ", Q),
    E(0040, 1102, "PersonAddress", "X", "ST", I),
    E(0040, 1103, "PersonTelephoneNumbers", "X", "LO", I),
    E(0040, 1104, "PersonTelecomInformation", "X", "LT", I),
    E(0040, 1400, "RequestedProcedureComments", "X", "LT", S),
    E(0040, 2001, "ReasonForTheImagingServiceRequest", "X", "LO", S),
    E(0040, 2008, "OrderEnteredBy", "X", "PN", I),
    E(0040, 2009, "OrderEntererLocation", "X", "SH", N),
    E(0040, 2010, "OrderCallbackPhoneNumber", "X", "SH", I),
    E(0040, 2011, "OrderCallbackTelecomInformation", "X", "LT", I),
    E(0040, 2016, "PlacerOrderNumberImagingServiceRequest", "Z", "LO", I),
    E(0040, 2017, "FillerOrderNumberImagingServiceRequest", "Z", "LO", I),
    E(0040, 2400, "ImagingServiceRequestComments", "X", "LT", S),
    E(0040, 3001, "ConfidentialityConstraintOnPatientDataDescription", "X", "LO", S),
    E(0040, 4034, "ScheduledHumanPerformersSequence", "X", "SQ", Q),
    E(0040, 4035, "ActualHumanPerformersSequence", "X", "SQ", Q),
    E(0040, 4036, "HumanPerformerOrganization", "X", "LO", N),
    E(0040, 4037, "HumanPerformerName", "X", "PN", I),
    E(0040, A027, "VerifyingOrganization", "X", "LO", N),
    E(0040, A030, "VerificationDateTime", "D", "DT", D),
    E(0040, A073, "VerifyingObserverSequence", "D", "SQ", Q),
    E(0040, A075, "VerifyingObserverName", "D", "PN", I),
    E(0040, A078, "AuthorObserverSequence", "X", "SQ", Q),
    E(0040, A07A, "ParticipantSequence", "X", "SQ", Q),
    E(0040, A07C, "CustodialOrganizationSequence", "X", "SQ", Q),
    E(0040, A088, "VerifyingObserverIdentificationCodeSequence", "Z", "SQ", Q),
    E(0040, A123, "PersonName", "D", "PN", I),
    E(0040, A124, "UID", "U", "UI", U),
    E(0040, A730, "ContentSequence", "X", "SQ", Q),
    E(0040, DB0C, "TemplateExtensionOrganizationUID", "U", "UI", U),
    E(0040, DB0D, "TemplateExtensionCreatorUID", "U", "UI", U),
    E(0070, 0084, "ContentCreatorName", "Z", "PN", I),
    E(0088, 0140, "StorageMediaFileSetUID", "U", "UI", U),
    E(0400, 0100, "DigitalSignatureUID", "X", "UI", U),
    E(0400, 0115, "CertificateOfSigner", "X", "OB", S),
    E(0400, 0120, "Signature", "X", "OB", S),
    E(0400, 0310, "CertifiedTimestamp", "X", "OB", S),
    E(0400, 0402, "ReferencedDigitalSignatureSequence", "X", "SQ", Q),
    E(0400, 0403, "ReferencedSOPInstanceMACSequence", "X", "SQ", Q),
    E(0400, 0404, "MAC", "X", "OB", S),
    E(0400, 0550, "ModifiedAttributesSequence", "X", "SQ", Q),
    E(0400, 0561, "OriginalAttributesSequence", "X", "SQ", Q),
    E(3006, 0024, "ReferencedFrameOfReferenceUID", "U", "UI", U),
    E(3006, 00C2, "RelatedFrameOfReferenceUID", "U", "UI", U),
    E(300A, 0013, "DoseReferenceUID", "U", "UI", U),
    E(4008, 0040, "ResultsID", "X", "SH", I),
    E(4008, 0042, "ResultsIDIssuer", "X", "LO", I),
    E(4008, 0111, "InterpretationApproverSequence", "X", "SQ", Q),
    E(4008, 0114, "PhysicianApprovingInterpretation", "X", "PN", I),
    E(4008, 0118, "ResultsDistributionListSequence", "X", "SQ", Q),
    E(4008, 0119, "DistributionName", "X", "PN", I),
    E(4008, 011A, "DistributionAddress", "X", "LO", I),
    E(4008, 0200, "InterpretationID", "X", "SH", I),
    E(4008, 0202, "InterpretationIDIssuer", "X", "LO", I),
    E(4008, 0300, "Impressions", "X", "ST", S),
    E(4008, 4000, "ResultsComments", "X", "ST", S),
    E(FFFA, FFFA, "DigitalSignaturesSequence", "X", "SQ", Q),
    E(FFFC, FFFC, "DataSetTrailingPadding", "X", "OB", S),
    /* repeating groups */
    R(5000, 3000, "CurveData", "X", "OB", S),
    R(6000, 3000, "OverlayData", "X", "OW", S),
    R(6000, 4000, "OverlayComments", "X", "LT", S),
};
#define N_SORTED (sizeof TABLE / sizeof TABLE[0] - 3)

size_t scan_annexe_count(void) { return sizeof TABLE / sizeof TABLE[0]; }
const scan_annexe_entry *scan_annexe_at(size_t i) { return i < scan_annexe_count() ? &TABLE[i] : NULL; }

const scan_annexe_entry *scan_annexe_find(uint16_t group, uint16_t elem)
{
    uint32_t key = (uint32_t)group << 16 | elem;
    size_t lo = 0, hi = N_SORTED;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t k = (uint32_t)TABLE[mid].group << 16 | TABLE[mid].elem;
        if (k == key)
            return &TABLE[mid];
        if (k < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = N_SORTED; i < scan_annexe_count(); i++) {
        const scan_annexe_entry *e = &TABLE[i];
        if ((group & e->group_mask) == e->group && elem == e->elem)
            return e;
    }
    return NULL;
}

const scan_annexe_entry *scan_annexe_find_keyword(const char *kw, size_t len)
{
    for (size_t i = 0; i < scan_annexe_count(); i++)
        if (strlen(TABLE[i].keyword) == len && !memcmp(TABLE[i].keyword, kw, len))
            return &TABLE[i];
    return NULL;
}

const char *scan_class_name(scan_class c)
{
    static const char *const names[SCAN_CLASS_COUNT] = {"identity", "birth",       "date",       "time",
                                                        "institution", "device",   "uid",        "demographic",
                                                        "descriptor",  "sequence"};
    return (unsigned)c < SCAN_CLASS_COUNT ? names[c] : "unknown";
}

/* Common attributes outside the table: a keyword for messages and policy
 * keyword rules, and the VR for implicit-VR files. */
typedef struct dict_entry {
    uint16_t group, elem;
    const char *keyword, *vr;
} dict_entry;

static const dict_entry DICT[] = {
    {0x0002, 0x0002, "MediaStorageSOPClassUID", "UI"},
    {0x0002, 0x0010, "TransferSyntaxUID", "UI"},
    {0x0002, 0x0012, "ImplementationClassUID", "UI"},
    {0x0002, 0x0013, "ImplementationVersionName", "SH"},
    {0x0002, 0x0016, "SourceApplicationEntityTitle", "AE"},
    {0x0008, 0x0005, "SpecificCharacterSet", "CS"},
    {0x0008, 0x0008, "ImageType", "CS"},
    {0x0008, 0x0016, "SOPClassUID", "UI"},
    {0x0008, 0x0060, "Modality", "CS"},
    {0x0008, 0x0070, "Manufacturer", "LO"},
    {0x0008, 0x1090, "ManufacturerModelName", "LO"},
    {0x0008, 0x1150, "ReferencedSOPClassUID", "UI"},
    {0x0012, 0x0062, "PatientIdentityRemoved", "CS"},
    {0x0012, 0x0063, "DeidentificationMethod", "LO"},
    {0x0018, 0x0015, "BodyPartExamined", "CS"},
    {0x0018, 0x0024, "SequenceName", "SH"},
    {0x0018, 0x1020, "SoftwareVersions", "LO"},
    {0x0018, 0x1250, "ReceiveCoilName", "SH"},
    {0x0018, 0x1251, "TransmitCoilName", "SH"},
    {0x0020, 0x0011, "SeriesNumber", "IS"},
    {0x0020, 0x0013, "InstanceNumber", "IS"},
    {0x0020, 0x1040, "PositionReferenceIndicator", "LO"},
    {0x0028, 0x1055, "WindowCenterWidthExplanation", "LO"},
    {0x7FE0, 0x0010, "PixelData", "OW"},
};

const char *scan_dict_keyword(uint16_t group, uint16_t elem, const char **vr)
{
    for (size_t i = 0; i < sizeof DICT / sizeof DICT[0]; i++)
        if (DICT[i].group == group && DICT[i].elem == elem) {
            if (vr)
                *vr = DICT[i].vr;
            return DICT[i].keyword;
        }
    if (vr)
        *vr = "";
    return NULL;
}
